import { Prisma } from "@/generated/prisma/client";
import type { JobStatus } from "@/generated/prisma/enums";
import type { JobStatusName } from "@/jobs/status";
import { errorView, truncateJson } from "./stored-values";

/**
 * A job's status and every change to it. QUEUED → RUNNING ⇄ WAITING → COMPLETED | FAILED | CANCELLED; a retry
 * takes a FAILED or CANCELLED job back to QUEUED. Every change is one statement guarded by the statuses it may
 * come from, so a late request never revives a CANCELLED job or reopens a finished one.
 */

// The status sets are the catalogue's (jobs/status.ts): components/ and scripts/ use the same lists.
import { RETRYABLE } from "@/jobs/status";

export { ACTIVE, FINAL, isActive, isRetryable, RETRYABLE, STARTED } from "@/jobs/status";

/** The catalogue's statuses are exactly the database enum's: either one changing without the other fails to compile. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const STATUSES_MATCH: Same<JobStatusName, JobStatus> = true;
void STATUSES_MATCH;

/** A status change and what it records besides the status. */
export type Transition =
  | { to: "WAITING"; lastError?: unknown }
  | { to: "COMPLETED"; result: unknown }
  | { to: "FAILED"; error: unknown }
  | { to: "CANCELLED"; reason: string };

function fieldsOf(change: Transition, now: Date): Prisma.JobUpdateManyMutationInput {
  switch (change.to) {
    case "WAITING":
      return { status: "WAITING", heartbeatAt: now, ...(change.lastError ? { error: truncateJson(errorView(change.lastError)) } : {}) };
    case "COMPLETED":
      return { status: "COMPLETED", result: truncateJson(change.result), error: Prisma.DbNull, finishedAt: now, heartbeatAt: now };
    case "FAILED":
      // A new failure shows as a badge until someone acknowledges it.
      return {
        status: "FAILED",
        error: truncateJson(errorView(change.error)),
        finishedAt: now,
        heartbeatAt: now,
        failureAcknowledgedAt: null,
      };
    case "CANCELLED":
      return { status: "CANCELLED", finishedAt: now, cancelRequestedAt: now, error: { name: "Cancelled", message: change.reason } };
  }
}

type JobClient = Pick<Prisma.TransactionClient, "job">;
type RawClient = Pick<Prisma.TransactionClient, "$queryRaw">;

/**
 * Moves the organization's job to `change.to` if its status is one of `from` (and, when given, it is still on
 * `attempt`). Returns whether it moved: false when the job is in another status or attempt, or is not this
 * organization's.
 */
export async function transitionJob(
  client: JobClient,
  job: { id: string; orgId: string; attempt?: number },
  from: readonly JobStatus[],
  change: Transition,
  now = new Date(),
): Promise<boolean> {
  const { count } = await client.job.updateMany({
    where: { id: job.id, orgId: job.orgId, status: { in: [...from] }, ...(job.attempt === undefined ? {} : { attempt: job.attempt }) },
    data: fieldsOf(change, now),
  });
  return count > 0;
}

/**
 * The same change for many of the organization's jobs in one statement; returns the jobs that moved (those in
 * another status, or not this organization's, are left as they are).
 */
export async function transitionJobs(
  client: JobClient,
  orgId: string,
  ids: readonly string[],
  from: readonly JobStatus[],
  change: Transition,
  now = new Date(),
): Promise<Array<{ id: string; attempt: number; eventId: string | null }>> {
  if (!ids.length) return [];
  return client.job.updateManyAndReturn({
    where: { id: { in: [...ids] }, orgId, status: { in: [...from] } },
    data: fieldsOf(change, now),
    select: { id: true, attempt: true, eventId: true },
  });
}

/** A retry of one job: its next attempt and that attempt's start event id. */
export interface Requeue {
  id: string;
  attempt: number;
  eventId: string;
}

/**
 * Takes FAILED or CANCELLED jobs back to QUEUED for a new attempt, in one statement: the old steps stay as
 * history, everything about the last attempt's outcome is cleared. A job moves only from the attempt it was read
 * at (`attempt - 1`), so two retries of one job cannot both start it. Returns the ids that moved.
 */
export async function requeueJobs(client: RawClient, orgId: string, jobs: readonly Requeue[]): Promise<string[]> {
  if (!jobs.length) return [];
  const rows = await client.$queryRaw<Array<{ id: string }>>`
    UPDATE "Job" AS j SET "status" = 'QUEUED', "attempt" = r.attempt, "replayCount" = j."replayCount" + 1,
      "eventId" = r.event_id, "runId" = NULL, "result" = NULL, "error" = NULL, "stepsCompleted" = 0,
      "startedAt" = NULL, "finishedAt" = NULL, "heartbeatAt" = NULL, "cancelRequestedAt" = NULL, "updatedAt" = now()
    FROM unnest(${jobs.map((j) => j.id)}::uuid[], ${jobs.map((j) => j.attempt)}::int[], ${jobs.map((j) => j.eventId)}::text[])
      AS r(id, attempt, event_id)
    WHERE j."id" = r.id AND j."orgId" = ${orgId} AND j."attempt" = r.attempt - 1
      AND j."status" = ANY(${[...RETRYABLE]}::"JobStatus"[])
    RETURNING j."id"::text AS id`;
  return rows.map((r) => r.id);
}
