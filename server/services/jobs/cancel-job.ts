import { jobCancelEventId, jobCancelRequested } from "@/jobs";
import { AppError } from "../../errors";
import { requireRole, type Scope } from "../../identity";
import { findScopedJob } from "./find-job";
import { runJobCommand } from "./job-command";
import { ACTIVE, isActive, transitionJob } from "./job-status";
import { type JobView, toJobView } from "./job-view";
import { closeOpenSteps } from "./record-progress";

/**
 * Cancels a QUEUED, RUNNING or WAITING job. The row is CANCELLED at once (the job-tracking middleware never moves
 * it out of that state); a start event still in the outbox is withdrawn, and a cancel event goes out that every
 * job function honours with `cancelOn`, so a running run stops before its next step.
 */
export async function cancelJob(scope: Scope, id: string, reason = "cancelled by user"): Promise<JobView> {
  requireRole(scope, "member", "cancelling a job");
  const job = await runJobCommand(scope, async (tx, emit, audit) => {
    const current = await findScopedJob(tx, scope, id);
    const refuse = (status: string) =>
      new AppError("CONFLICT", `job ${id} is already ${status}; only queued, running or waiting jobs can be cancelled`);
    if (!isActive(current.status)) throw refuse(current.status);
    // The run may have finished since the read: the guarded change then moves nothing and the cancel is refused.
    if (!(await transitionJob(tx, current, ACTIVE, { to: "CANCELLED", reason }))) {
      throw refuse((await tx.job.findUniqueOrThrow({ where: { id: current.id } })).status);
    }
    await closeOpenSteps(tx, current.id);
    if (current.eventId) await tx.outboxEvent.deleteMany({ where: { id: current.eventId, sentAt: null } });
    await emit({
      id: jobCancelEventId(current.id, current.attempt),
      jobId: current.id,
      name: jobCancelRequested.name,
      data: { jobId: current.id, orgId: current.orgId, reason },
    });
    await audit({
      action: "job.cancel",
      targetType: "job",
      targetId: current.id,
      before: { status: current.status },
      after: { status: "CANCELLED", reason },
    });
    return tx.job.findUniqueOrThrow({ where: { id: current.id } });
  });
  return toJobView(job);
}
