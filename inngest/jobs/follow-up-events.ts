import { eventType } from "inngest";
import { z } from "zod";

/** Sent by `job.cancel`; every job function lists it in `cancelOn`, matched on `data.jobId` and `data.orgId`. */
export const jobCancelRequested = eventType("jobdeck/job.cancel.requested", {
  schema: z.object({ jobId: z.string(), orgId: z.string().optional(), reason: z.string().optional() }),
});

/**
 * How a follow-up event finds its job's run: same job id and same organization. Matching on the job id alone
 * would let an event sent for one organization cancel or decide another organization's job.
 */
export const SAME_JOB = "event.data.jobId == async.data.jobId && event.data.orgId == async.data.orgId";

/** The cancelOn entry every job function uses, so a cancelled job's run stops at its next step. */
export function cancelOnJobCancel(): Array<{ event: typeof jobCancelRequested; if: string }> {
  return [{ event: jobCancelRequested, if: SAME_JOB }];
}
