import { z } from "zod";
import { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { parseInput } from "../validate";

const when = z.coerce.date().min(new Date(0), "must be a date from 1970 on").max(new Date("9999-12-31T23:59:59Z"), "must be before 10000");
const token = (what: string) =>
  z
    .string()
    .trim()
    .min(1)
    .max(200, `${what}: at most 200 characters`)
    .regex(/^[\w.:@|-]+$/, `${what}: letters, digits and . : @ | _ -`);

export const listAuditInput = z.object({
  /** An action (`job.cancel`) or a family of them (`job.` matches every job action). */
  action: token("action").optional(),
  actor: token("actor").optional(),
  target: token("target").optional(),
  /** Operators only: one organization's entries (they see every organization's otherwise). */
  organization: token("organization").optional(),
  from: when.optional(),
  to: when.optional(),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, "cursor: not a cursor this list returned")
    .optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type ListAuditInput = z.input<typeof listAuditInput>;

export interface AuditView {
  id: string;
  at: string;
  orgId: string;
  actorId: string;
  actorRole: string;
  door: string;
  action: string;
  targetType: string;
  targetId: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  before: unknown;
  after: unknown;
}

type Row = Omit<AuditView, "id" | "at"> & { id: bigint; at: Date };

/**
 * The audit trail newest first, one page at a time: an organization's members see its entries, operators every
 * organization's (or one's). An organization's page is one range of its (orgId, id) index whatever the filters.
 */
export async function listAudit(
  scope: Scope,
  operator: boolean,
  raw: ListAuditInput,
): Promise<{ items: AuditView[]; cursor: string | null }> {
  const f = parseInput(listAuditInput, raw);
  if (f.organization && !operator && f.organization !== scope.orgId) {
    throw new AppError("FORBIDDEN", "only an operator can read another organization's audit trail");
  }
  const org = operator ? f.organization : scope.orgId;
  const conds: Prisma.Sql[] = [];
  // One value as a range, so the (orgId, id) index serves the order (see search-logs.ts visibleTo).
  if (org) conds.push(Prisma.sql`"orgId" >= ${org} AND "orgId" <= ${org}`);
  if (f.action) conds.push(f.action.endsWith(".") ? Prisma.sql`starts_with("action", ${f.action})` : Prisma.sql`"action" = ${f.action}`);
  if (f.actor) conds.push(Prisma.sql`"actorId" = ${f.actor}`);
  if (f.target) conds.push(Prisma.sql`"targetId" = ${f.target}`);
  if (f.from) conds.push(Prisma.sql`"at" >= ${f.from}`);
  if (f.to) conds.push(Prisma.sql`"at" <= ${f.to}`);
  if (f.cursor) conds.push(Prisma.sql`"id" < ${BigInt(f.cursor)}`);
  const where = conds.length ? Prisma.sql`WHERE ${Prisma.join(conds, " AND ")}` : Prisma.empty;
  const order = org ? Prisma.sql`"orgId", "id" DESC` : Prisma.sql`"id" DESC`;
  const rows = await db().$queryRaw<Row[]>`SELECT * FROM "AuditEvent" ${where} ORDER BY ${order} LIMIT ${f.limit + 1}`;
  const page = rows.slice(0, f.limit).map((r) => ({ ...r, id: r.id.toString(), at: r.at.toISOString() }));
  return { items: page, cursor: rows.length > f.limit ? (page.at(-1)?.id ?? null) : null };
}
