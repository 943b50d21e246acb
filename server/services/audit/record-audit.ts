import { storableJson, truncateText } from "@jobdeck/safe-json";
import { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import type { Scope } from "../../identity";

/**
 * The audit trail's writes. Every state-changing action writes one AuditEvent row in the same transaction as the
 * change (`audited` for an action run in an interactive transaction, `auditRowSql` for one done by a single
 * statement), so an action that fails leaves no row and one that happened always has its row.
 */

/** What one action did. */
export interface AuditEntry {
  /** `job.cancel`, `plan.set`, … (README: Operating → Audit trail lists every action). */
  action: string;
  targetType: string;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
  /** The organization acted in, when it is not the caller's own (an operator setting another's plan). */
  orgId?: string;
}

export interface AuditActor {
  /** An operator's installation-wide action is recorded as the operator's. */
  operator?: boolean;
}

/** A before/after is kept small: past this many characters of JSON it is cut, and says so. */
const MAX_DETAIL_CHARS = 4_000;

function detail(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const text = storableJson(value);
  return text.length <= MAX_DETAIL_CHARS ? text : JSON.stringify({ truncated: true, preview: truncateText(text, MAX_DETAIL_CHARS) });
}

/** Who acted, through which door, as the row records it. */
function actor(scope: Scope, opts: AuditActor) {
  const role = opts.operator ? "operator" : (scope.role ?? "system");
  const door = scope.request?.door ?? (scope.userId.startsWith("system:") ? "cli" : "system");
  return { role, door };
}

/** The row's columns as one VALUES tuple, for an INSERT inside the statement that makes the change. */
export function auditRowSql(scope: Scope, entry: AuditEntry, opts: AuditActor = {}): Prisma.Sql {
  const { role, door } = actor(scope, opts);
  const r = scope.request;
  return Prisma.sql`(${entry.orgId ?? scope.orgId}, ${scope.userId}, ${role}, ${door}, ${entry.action}, ${entry.targetType},
    ${entry.targetId ?? null}, ${r?.id ?? null}, ${r?.ip ?? null}, ${r?.userAgent ?? null},
    ${detail(entry.before)}::jsonb, ${detail(entry.after)}::jsonb)`;
}

/**
 * The row's columns as a select list whose target id and after are SQL expressions, for an INSERT … SELECT that reads
 * what the same statement just made (the id of a job a create made).
 */
export function auditSelectSql(
  scope: Scope,
  entry: Omit<AuditEntry, "targetId" | "after">,
  targetId: Prisma.Sql,
  after: Prisma.Sql,
  opts: AuditActor = {},
): Prisma.Sql {
  const { role, door } = actor(scope, opts);
  const r = scope.request;
  return Prisma.sql`${entry.orgId ?? scope.orgId}, ${scope.userId}, ${role}, ${door}, ${entry.action}, ${entry.targetType},
    ${targetId}, ${r?.id ?? null}, ${r?.ip ?? null}, ${r?.userAgent ?? null}, ${detail(entry.before)}::jsonb, ${after}`;
}

export const AUDIT_COLUMNS = Prisma.sql`("orgId", "actorId", "actorRole", "door", "action", "targetType", "targetId", "requestId", "ip", "userAgent", "before", "after")`;

type RawClient = Pick<Prisma.TransactionClient, "$executeRaw">;

export async function recordAudit(
  client: RawClient,
  scope: Scope,
  entries: AuditEntry | AuditEntry[],
  opts: AuditActor = {},
): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (!list.length) return;
  await client.$executeRaw`INSERT INTO "AuditEvent" ${AUDIT_COLUMNS} VALUES ${Prisma.join(list.map((e) => auditRowSql(scope, e, opts)))}`;
}

const TRANSACTION = { maxWait: 5_000, timeout: 10_000 };

/**
 * Runs an action in a transaction and records what it reports in the same transaction. `fn` does its writes with
 * `tx`; it returns its result and the audit entries (none when it changed nothing). An action that throws, or
 * whose audit row cannot be written, changes nothing. `fn` must not wait on Inngest: the embedded database serves one
 * transaction at a time, and the engine shares it (use `auditedRemote` for a change Inngest makes).
 */
export async function audited<T>(
  scope: Scope,
  fn: (tx: Prisma.TransactionClient) => Promise<{ result: T; audit: AuditEntry | AuditEntry[] | null }>,
  opts: AuditActor = {},
): Promise<T> {
  return db().$transaction(async (tx) => {
    const { result, audit } = await fn(tx);
    if (audit) await recordAudit(tx, scope, audit, opts);
    return result;
  }, TRANSACTION);
}

/**
 * A change Inngest makes (pausing a function, sending an event, replaying a run): it cannot share a transaction with
 * the engine's own writes, so its row is written right after Inngest accepted it, in one statement. A call Inngest
 * refuses records nothing.
 */
export async function auditedRemote<T>(
  scope: Scope,
  fn: () => Promise<{ result: T; audit: AuditEntry | AuditEntry[] | null }>,
  opts: AuditActor = {},
): Promise<T> {
  const { result, audit } = await fn();
  if (audit) await recordAudit(db(), scope, audit, opts);
  return result;
}
