import { jobContractOf, jobStartEventId } from "@/jobs";
import { AppError } from "../../errors";
import { requireRole, type Scope } from "../../identity";
import { assertBelowActiveLimit } from "./active-limit";
import { findScopedJob } from "./find-job";
import { runJobCommand } from "./job-command";
import { isRetryable, requeueJobs } from "./job-status";
import { type JobView, toJobView } from "./job-view";
import { startEventOf } from "./start-event";

/**
 * Starts a new attempt of a FAILED or CANCELLED job: the same row goes back to QUEUED with its result, error and
 * step count cleared (the old steps stay as history) and a new start event, with its own id, goes out.
 */
export async function retryJob(scope: Scope, id: string): Promise<JobView> {
  requireRole(scope, "member", "retrying a job");
  const job = await runJobCommand(scope, async (tx, emit, audit) => {
    const current = await findScopedJob(tx, scope, id);
    if (!isRetryable(current.status)) {
      throw new AppError("CONFLICT", `job ${id} is ${current.status}; only FAILED or CANCELLED jobs can be retried`);
    }
    const def = jobContractOf(current.type);
    if (!def) throw new AppError("CONFLICT", `job type "${current.type}" no longer exists, so job ${id} cannot be retried`);
    await assertBelowActiveLimit(tx, scope.orgId);
    const attempt = current.attempt + 1;
    const eventId = jobStartEventId(current.id, attempt);
    if (!(await requeueJobs(tx, scope.orgId, [{ id: current.id, attempt, eventId }])).length) {
      throw new AppError("CONFLICT", `job ${id} changed while it was being retried; try again`);
    }
    await emit(startEventOf(current, def, attempt, eventId));
    await audit({
      action: "job.retry",
      targetType: "job",
      targetId: current.id,
      before: { status: current.status, attempt: current.attempt },
      after: { status: "QUEUED", attempt },
    });
    return tx.job.findUniqueOrThrow({ where: { id: current.id } });
  });
  return toJobView(job);
}
