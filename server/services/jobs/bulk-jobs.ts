import { z } from "zod";
import { type Job, Prisma } from "@/generated/prisma/client";
import type { JobStatus } from "@/generated/prisma/enums";
import { type JobContract, jobCancelEventId, jobCancelRequested, jobContractOf, jobStartEventId } from "@/jobs";
import { db } from "../../db";
import { AppError } from "../../errors";
import { requireRole, type Scope } from "../../identity";
import { type AuditEntry, audited } from "../audit/record-audit";
import type { OutgoingEvent } from "../outbox/enqueue-event";
import { parseInput } from "../validate";
import { pendingRoom } from "./active-limit";
import { isJobId } from "./find-job";
import { jobId, listJobsInput } from "./inputs";
import { runJobCommand } from "./job-command";
import { assertSearchable, filterConditions, type JobFilterInput, statusesOf, statusIn } from "./job-query";
import { ACTIVE, RETRYABLE, type Requeue, requeueJobs, transitionJobs } from "./job-status";
import { closeOpenSteps } from "./record-progress";
import { startEventOf } from "./start-event";

const MAX_BULK = 1_000;

/** Either explicit ids, or "everything matching this filter" (the list's filters). */
export const bulkInput = z
  .object({
    action: z.enum(["retry", "cancel", "acknowledge"]),
    ids: z.array(jobId).min(1).max(MAX_BULK).optional(),
    filter: listJobsInput.omit({ cursor: true, limit: true }).optional(),
  })
  .refine((v) => Boolean(v.ids) !== Boolean(v.filter), { message: "give either ids or filter", path: ["ids"] });

type BulkAction = z.infer<typeof bulkInput>["action"];

export interface BulkResult {
  action: BulkAction;
  matched: number;
  done: number;
  /** Jobs that could not take the action (e.g. retrying a COMPLETED job), with the reason. */
  skipped: Array<{ id: string; reason: string }>;
}

/** The statuses each action applies to: a filter selects the statuses it names that are also these. */
const ELIGIBLE: Record<BulkAction, readonly JobStatus[]> = { retry: RETRYABLE, cancel: ACTIVE, acknowledge: ["FAILED"] };

/**
 * Retries, cancels or acknowledges many jobs, set-based: one transaction with a statement per kind of write
 * (the status change, the steps closed, the outbox events), not one transaction per job, and the events relayed
 * in batches afterwards. Each job gets the single-job semantics (its own new attempt and start event, its cancel
 * event, the active-job limit); a job that cannot take the action is reported, not fatal.
 */
export async function bulkJobs(scope: Scope, raw: z.input<typeof bulkInput>): Promise<BulkResult> {
  const input = parseInput(bulkInput, raw);
  requireRole(
    scope,
    "member",
    `${input.action === "acknowledge" ? "acknowledging" : input.action === "retry" ? "retrying" : "cancelling"} jobs`,
  );
  const ids = input.filter ? await idsMatching(scope, input.filter, input.action) : (input.ids ?? []);
  const result: BulkResult = { action: input.action, matched: ids.length, done: 0, skipped: [] };
  if (!ids.length) return result;
  if (input.action === "acknowledge") return acknowledgeMany(scope, ids, result, input.filter);
  return runJobCommand(scope, async (tx, emit, audit) => {
    const found = await jobsOf(tx, scope, ids);
    const eligible: Job[] = [];
    for (const id of ids) {
      const job = found.get(id);
      if (!job) result.skipped.push({ id, reason: `no job with id "${id}"` });
      else if (!ELIGIBLE[input.action].includes(job.status)) result.skipped.push({ id, reason: refusal(input.action, job) });
      else eligible.push(job);
    }
    const done =
      input.action === "retry" ? await retryMany(tx, scope, eligible, result, emit) : await cancelMany(tx, scope, eligible, emit);
    result.done = done;
    if (done > 0)
      await audit(
        bulkAudit(
          input.action,
          result,
          eligible.map((j) => j.id),
          input.filter,
        ),
      );
    return result;
  });
}

const refusal = (action: BulkAction, job: Job) =>
  action === "retry"
    ? `job ${job.id} is ${job.status}; only FAILED or CANCELLED jobs can be retried`
    : `job ${job.id} is already ${job.status}; only queued, running or waiting jobs can be cancelled`;

/** The filter's jobs the action applies to (the filter's statuses intersected with the action's), oldest first. */
async function idsMatching(scope: Scope, raw: JobFilterInput, action: BulkAction): Promise<string[]> {
  const filter = parseInput(listJobsInput.omit({ cursor: true, limit: true }), raw);
  assertSearchable(filter.q);
  const statuses = statusesOf(filter).filter((s) => ELIGIBLE[action].includes(s));
  if (!statuses.length) return [];
  const rows = await db().$queryRaw<Array<{ id: string }>>(matchingIdsQuery(scope, filter, statuses, action === "acknowledge"));
  if (rows.length > MAX_BULK) throw new AppError("BAD_REQUEST", `more than ${MAX_BULK} jobs match; narrow the filter`);
  return rows.map((r) => r.id);
}

/** Up to MAX_BULK + 1 ids of the filter's jobs in these statuses (enough to tell "too many"). */
export function matchingIdsQuery(
  scope: Scope,
  filter: JobFilterInput,
  statuses: readonly JobStatus[],
  unacknowledgedOnly: boolean,
): Prisma.Sql {
  const unacknowledged = unacknowledgedOnly ? Prisma.sql` AND "failureAcknowledgedAt" IS NULL` : Prisma.empty;
  return Prisma.sql`SELECT "id"::text AS id FROM "Job" WHERE ${filterConditions(scope, filter)} AND ${statusIn(statuses)}${unacknowledged}
    LIMIT ${MAX_BULK + 1}`;
}

async function jobsOf(client: Prisma.TransactionClient, scope: Scope, ids: string[]): Promise<Map<string, Job>> {
  const rows = await client.job.findMany({ where: { orgId: scope.orgId, id: { in: ids.filter(isJobId) } } });
  return new Map(rows.map((r) => [r.id, r]));
}

type Emit = (events: OutgoingEvent[]) => Promise<void>;

/** New attempts for as many jobs as the active-job limit leaves room for, oldest first; the rest are reported. */
async function retryMany(tx: Prisma.TransactionClient, scope: Scope, jobs: Job[], result: BulkResult, emit: Emit): Promise<number> {
  const { room, max } = await pendingRoom(tx, scope.orgId);
  const requeues: Requeue[] = [];
  for (const job of jobs) {
    if (!jobContractOf(job.type))
      result.skipped.push({ id: job.id, reason: `job type "${job.type}" no longer exists, so job ${job.id} cannot be retried` });
    else if (requeues.length >= room) result.skipped.push({ id: job.id, reason: `over the pending-job limit (${max}); not retried` });
    else requeues.push({ id: job.id, attempt: job.attempt + 1, eventId: jobStartEventId(job.id, job.attempt + 1) });
  }
  const moved = new Set(await requeueJobs(tx, scope.orgId, requeues));
  const byId = new Map(jobs.map((j) => [j.id, j]));
  await emit(
    requeues
      .filter((r) => moved.has(r.id))
      .map((r) => {
        const job = byId.get(r.id) as Job;
        // Only jobs whose type still exists were requeued (above).
        return startEventOf(job, jobContractOf(job.type) as JobContract, r.attempt, r.eventId);
      }),
  );
  return moved.size;
}

/** Cancels the jobs at once: their open steps closed, unsent start events withdrawn, one cancel event each. */
async function cancelMany(tx: Prisma.TransactionClient, scope: Scope, jobs: Job[], emit: Emit): Promise<number> {
  const reason = "cancelled by user";
  const moved = await transitionJobs(
    tx,
    scope.orgId,
    jobs.map((j) => j.id),
    ACTIVE,
    { to: "CANCELLED", reason },
  );
  if (!moved.length) return 0;
  await closeOpenSteps(
    tx,
    moved.map((j) => j.id),
  );
  const startEvents = moved.flatMap((j) => (j.eventId ? [j.eventId] : []));
  await tx.outboxEvent.deleteMany({ where: { id: { in: startEvents }, sentAt: null } });
  await emit(
    moved.map((j) => ({
      id: jobCancelEventId(j.id, j.attempt),
      jobId: j.id,
      name: jobCancelRequested.name,
      data: { jobId: j.id, orgId: scope.orgId, reason },
    })),
  );
  return moved.length;
}

/** One audit row for a bulk action: how many, the filter or ids it was given (the first ids, not a thousand). */
function bulkAudit(action: BulkAction, result: BulkResult, ids: string[], filter: unknown): AuditEntry {
  return {
    action: `job.bulk.${action}`,
    targetType: "jobs",
    targetId: null,
    before: filter ? { filter } : { ids: ids.slice(0, 20), more: Math.max(0, ids.length - 20) },
    after: { matched: result.matched, done: result.done, skipped: result.skipped.length },
  };
}

/** Acknowledging touches no run, so it is one statement over the ids that are unacknowledged failures. */
async function acknowledgeMany(scope: Scope, ids: string[], result: BulkResult, filter: unknown): Promise<BulkResult> {
  const found = await jobsOf(db(), scope, ids);
  const eligible: string[] = [];
  for (const id of ids) {
    const job = found.get(id);
    if (!job) result.skipped.push({ id, reason: `no job with id "${id}"` });
    else if (job.status !== "FAILED") result.skipped.push({ id, reason: `job ${id} is ${job.status}, not FAILED` });
    else if (job.failureAcknowledgedAt) result.skipped.push({ id, reason: `job ${id} was already acknowledged` });
    else eligible.push(id);
  }
  return audited(scope, async (tx) => {
    const { count } = await tx.job.updateMany({
      where: { orgId: scope.orgId, id: { in: eligible }, status: "FAILED", failureAcknowledgedAt: null },
      data: { failureAcknowledgedAt: new Date() },
    });
    result.done = count;
    return { result, audit: count > 0 ? bulkAudit("acknowledge", result, eligible, filter) : null };
  });
}
