import { Prisma } from "@/generated/prisma/client";
import type { JobStatus } from "@/generated/prisma/enums";
import { errorView, truncateJson } from "./stored-values";

/**
 * A job's status and every change to it. QUEUED → RUNNING ⇄ WAITING → COMPLETED | FAILED | CANCELLED; a retry
 * takes a FAILED or CANCELLED job back to QUEUED. Every change is one statement guarded by the statuses it may
 * come from, so a late request never revives a CANCELLED job or reopens a finished one.
 */

/** A job whose run may still do something: it counts toward the active limit and can be cancelled. */
export const ACTIVE = ["QUEUED", "RUNNING", "WAITING"] as const satisfies readonly JobStatus[];
/** A job whose run has started and not ended. */
export const STARTED = ["RUNNING", "WAITING"] as const satisfies readonly JobStatus[];
/** A job whose run has ended. */
export const FINAL = ["COMPLETED", "FAILED", "CANCELLED"] as const satisfies readonly JobStatus[];
/** A job a retry may start again. */
export const RETRYABLE = ["FAILED", "CANCELLED"] as const satisfies readonly JobStatus[];

export const isActive = (status: JobStatus) => (ACTIVE as readonly JobStatus[]).includes(status);
export const isRetryable = (status: JobStatus) => (RETRYABLE as readonly JobStatus[]).includes(status);

/** A status change and what it records besides the status. */
export type Transition =
  | { to: "WAITING"; lastError?: unknown }
  | { to: "COMPLETED"; result: unknown }
  | { to: "FAILED"; error: unknown }
  | { to: "CANCELLED"; reason: string }
  | { to: "QUEUED"; attempt: number; eventId: string };

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
    case "QUEUED":
      // A new attempt: the old steps stay as history, everything about the last attempt's outcome is cleared.
      return {
        status: "QUEUED",
        attempt: change.attempt,
        replayCount: { increment: 1 },
        eventId: change.eventId,
        runId: null,
        result: Prisma.DbNull,
        error: Prisma.DbNull,
        stepsCompleted: 0,
        startedAt: null,
        finishedAt: null,
        heartbeatAt: null,
        cancelRequestedAt: null,
      };
  }
}

type JobClient = Pick<Prisma.TransactionClient, "job">;

/**
 * Moves the organization's job to `change.to` if its status is one of `from`. Returns whether it moved: false
 * when the job is in another status, or is not this organization's.
 */
export async function transitionJob(
  client: JobClient,
  job: { id: string; orgId: string },
  from: readonly JobStatus[],
  change: Transition,
  now = new Date(),
): Promise<boolean> {
  const { count } = await client.job.updateMany({
    where: { id: job.id, orgId: job.orgId, status: { in: [...from] } },
    data: fieldsOf(change, now),
  });
  return count > 0;
}
