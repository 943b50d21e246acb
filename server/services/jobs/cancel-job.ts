import { db } from "../../db";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { enqueueEvent, jobCancelEventId } from "../outbox/enqueue-event";
import { relayOutbox } from "../outbox/relay-outbox";
import { ACTIVE_STATUSES } from "./active-limit";
import { findScopedJob } from "./find-job";
import { type JobView, toJobView } from "./job-view";
import { lockOrganization } from "./org-lock";
import { closeOpenSteps } from "./record-progress";

/**
 * Cancels a QUEUED, RUNNING or WAITING job. The row is CANCELLED at once (the job-tracking middleware never moves
 * it out of that state); a start event still in the outbox is withdrawn, and a cancel event goes out that every
 * job function honours with `cancelOn`, so a running run stops before its next step.
 */
export async function cancelJob(scope: Scope, id: string, reason = "cancelled by user"): Promise<JobView> {
  const { job, eventId } = await db().$transaction(async (tx) => {
    await lockOrganization(tx, scope.orgId);
    const current = await findScopedJob(tx, scope, id);
    if (!(ACTIVE_STATUSES as readonly string[]).includes(current.status)) {
      throw new AppError("CONFLICT", `job ${id} is already ${current.status}; only queued, running or waiting jobs can be cancelled`);
    }
    const now = new Date();
    const updated = await tx.job.update({
      where: { id: current.id },
      data: { status: "CANCELLED", cancelRequestedAt: now, finishedAt: now, error: { name: "Cancelled", message: reason } },
    });
    await closeOpenSteps(tx, current.id);
    if (current.eventId) await tx.outboxEvent.deleteMany({ where: { id: current.eventId, sentAt: null } });
    const eventId = jobCancelEventId(current.id, current.attempt);
    await enqueueEvent(tx, {
      id: eventId,
      jobId: current.id,
      name: "jobdeck/job.cancel.requested",
      data: { jobId: current.id, orgId: current.orgId, reason },
    });
    return { job: updated, eventId };
  });
  await relayOutbox({ ids: [eventId] }).catch(() => undefined);
  return toJobView(job);
}
