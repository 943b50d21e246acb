import { z } from "zod";
import { env } from "@/env";
import { type JobSource, Prisma } from "@/generated/prisma/client";
import { ACTIVE, type CreateJobInput } from "@/jobs";
import { directQuery } from "../../db-direct";
import { AppError, type FieldIssue } from "../../errors";
import { afterResponse } from "../../http/after-response";
import { requireRole, type Scope } from "../../identity";
import { AUDIT_COLUMNS, auditSelectSql } from "../audit/record-audit";
import { relayBulk } from "../outbox/relay-bulk";
import { activeLimitError } from "./active-limit";
import { type PreparedJob, prepareJob } from "./prepare-job";

/** The most jobs one call creates. */
export const MAX_BATCH = 1_000;

export const createJobsInput = z.object({
  items: z.array(z.unknown()).min(1, "items: at least one job").max(MAX_BATCH, `items: at most ${MAX_BATCH} jobs per call`),
});

export interface CreateJobsResult {
  /** One per item, in order: the new job's id, or the existing one its idempotency key named. */
  items: Array<{ id: string; created: boolean }>;
  created: number;
  existing: number;
}

/**
 * Creates up to 1,000 jobs in one call. Every item is checked as a single create would be, and a bad one fails the
 * call with every problem named (`items[17].payload.delayMs`), so nothing is half-created. Then one statement, under
 * the organization's lock, creates them all or none: items whose idempotency key names an existing job get that job,
 * the rest are created only if they all fit under the organization's pending limit (else a 429 saying how many would).
 * Their start events go out through the outbox in batches of 100, after the answer.
 */
export async function createJobs(scope: Scope, raw: { items: unknown[] }, source: JobSource): Promise<CreateJobsResult> {
  requireRole(scope, "member", "creating jobs");
  const parsed = createJobsInput.safeParse(raw);
  if (!parsed.success) throw new AppError("BAD_REQUEST", parsed.error.issues.map((i) => i.message).join("; "));
  const prepared: PreparedJob[] = [];
  const issues: FieldIssue[] = [];
  parsed.data.items.forEach((item, i) => {
    const job = prepareJob(scope, item as CreateJobInput, [`items[${i}]`]);
    if (Array.isArray(job)) issues.push(...job);
    else prepared.push(job);
  });
  if (issues.length) {
    const summary = issues.slice(0, 20).map((d) => `${d.path}: ${d.message}`);
    const more = issues.length > 20 ? `; and ${issues.length - 20} more` : "";
    throw new AppError("BAD_REQUEST", `invalid items: ${summary.join("; ")}${more}`, { details: issues });
  }
  const rows = await insertBatch(scope, source, sameKeyOnce(prepared));
  const ids = prepared.map((job) => {
    const row = rows.get(job.idempotencyKey ?? job.id);
    return { id: row?.id ?? job.id, created: Boolean(row?.created && row.id === job.id) };
  });
  const sent = prepared.filter((_, i) => ids[i]?.created).map((job) => job.event.id);
  // The jobs are committed with their start events in the outbox: the answer does not wait for the engine to take
  // them (relay-bulk.ts; the relay loop sends whatever this process does not get to).
  afterResponse(relayBulk(scope.orgId, sent));
  const created = ids.filter((x) => x.created).length;
  return { items: ids, created, existing: ids.length - created };
}

/** Items repeating an idempotency key within the batch are one job: the first of them is created, the rest get it. */
function sameKeyOnce(jobs: PreparedJob[]): PreparedJob[] {
  const seen = new Set<string>();
  return jobs.filter((job) => {
    if (!job.idempotencyKey) return true;
    if (seen.has(job.idempotencyKey)) return false;
    seen.add(job.idempotencyKey);
    return true;
  });
}

/**
 * One call of `jobdeck_create_jobs` (migration tenant_plans_and_secrets): all or none, under the organization's lock.
 * The answer, by idempotency key (or job id for jobs without one): the job each item stands for, and whether it is new.
 */
async function insertBatch(scope: Scope, source: JobSource, jobs: PreparedJob[]): Promise<Map<string, { id: string; created: boolean }>> {
  const payload = jobs.map((j) => ({
    id: j.id,
    type: j.type,
    priority: j.priority,
    payload: j.payload,
    key: j.idempotencyKey,
    tags: j.tags,
    eventId: j.event.id,
    eventName: j.event.name,
    eventData: j.event.data,
  }));
  // One audit row for the batch, written by the same statement when it made any job.
  // On the direct pool: a 1,000-item statement's parameter is ~200 KB of JSON, which the Prisma client would handle again.
  const rows = await directQuery<{
    idx: number;
    created: string | null;
    existing: string | null;
    active: string;
    max_pending: string;
  }>(Prisma.sql`
    WITH made AS (
      SELECT * FROM jobdeck_create_jobs(${scope.orgId}, ${scope.userId}, ${source}::"JobSource", ${env().JOBS_MAX_ACTIVE_PER_ORG}::int8,
        ${[...ACTIVE]}::text[], ${JSON.stringify(payload)}::jsonb)),
    summary AS (
      SELECT count(*) FILTER (WHERE created IS NOT NULL) AS n, (array_agg(created ORDER BY idx) FILTER (WHERE created IS NOT NULL))[1:20] AS ids
        FROM made),
    logged AS (INSERT INTO "AuditEvent" ${AUDIT_COLUMNS}
      SELECT ${auditSelectSql(
        scope,
        { action: "job.createMany", targetType: "jobs" },
        Prisma.sql`NULL`,
        Prisma.sql`jsonb_build_object('created', summary.n, 'items', ${jobs.length}::int, 'firstIds', to_jsonb(summary.ids), 'source', ${source}::text)`,
      )} FROM summary WHERE summary.n > 0)
    SELECT * FROM made`);
  const first = rows[0];
  const fresh = rows.filter((r) => !r.existing).length;
  if (first && fresh > 0 && rows.every((r) => !r.created)) throw activeLimitError(Number(first.active), Number(first.max_pending), fresh);
  const out = new Map<string, { id: string; created: boolean }>();
  for (const r of rows) {
    const job = jobs[r.idx] as PreparedJob;
    out.set(job.idempotencyKey ?? job.id, { id: (r.created ?? r.existing) as string, created: r.created !== null });
  }
  return out;
}
