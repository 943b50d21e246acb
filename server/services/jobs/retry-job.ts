import { Prisma } from "@/generated/prisma/client";
import { jobTypeOf } from "@/inngest/jobs";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { jobStartEventId } from "../outbox/enqueue-event";
import { assertBelowActiveLimit } from "./active-limit";
import { findScopedJob } from "./find-job";
import { runJobCommand } from "./job-command";
import { type JobView, toJobView } from "./job-view";

const RETRYABLE = ["FAILED", "CANCELLED"] as const;

/**
 * Starts a new attempt of a FAILED or CANCELLED job: the same row goes back to QUEUED with its result, error and
 * step count cleared (the old steps stay as history) and a new start event, with its own id, goes out.
 */
export async function retryJob(scope: Scope, id: string): Promise<JobView> {
  const job = await runJobCommand(scope, async (tx, emit) => {
    const current = await findScopedJob(tx, scope, id);
    if (!(RETRYABLE as readonly string[]).includes(current.status)) {
      throw new AppError("CONFLICT", `job ${id} is ${current.status}; only FAILED or CANCELLED jobs can be retried`);
    }
    const def = jobTypeOf(current.type);
    if (!def) throw new AppError("CONFLICT", `job type "${current.type}" no longer exists, so job ${id} cannot be retried`);
    await assertBelowActiveLimit(tx, scope.orgId);
    const attempt = current.attempt + 1;
    const eventId = jobStartEventId(current.id, attempt);
    const updated = await tx.job.update({
      where: { id: current.id },
      data: {
        status: "QUEUED",
        attempt,
        replayCount: { increment: 1 },
        eventId,
        runId: null,
        result: Prisma.DbNull,
        error: Prisma.DbNull,
        stepsCompleted: 0,
        startedAt: null,
        finishedAt: null,
        heartbeatAt: null,
        cancelRequestedAt: null,
      },
    });
    await emit({
      id: eventId,
      jobId: current.id,
      name: def.eventName,
      data: def.toEventData(current.payload as Prisma.JsonObject, {
        id: current.id,
        orgId: current.orgId,
        createdBy: current.createdBy,
        priority: current.priority,
        attempt,
      }),
    });
    return updated;
  });
  return toJobView(job);
}
