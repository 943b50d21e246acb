import { eventType } from "inngest";
import { z } from "zod";

/**
 * The events that follow a job's start event, and the ids every job event is sent with. Ids are deterministic per
 * job and attempt, so a re-send after a lost acknowledgement is dropped by Inngest's event-id deduplication.
 */
export const jobStartEventId = (jobId: string, attempt: number) => `jobdeck-${jobId}-start-${attempt}`;
export const jobCancelEventId = (jobId: string, attempt: number) => `jobdeck-${jobId}-cancel-${attempt}`;
export const jobDecisionEventId = (jobId: string, attempt: number) => `jobdeck-${jobId}-decision-${attempt}`;

/** Sent by `job.cancel`; every job function lists it in `cancelOn`, matched on `data.jobId` and `data.orgId`. */
export const jobCancelRequested = eventType("jobdeck/job.cancel.requested", {
  schema: z.object({ jobId: z.string(), orgId: z.string().optional(), reason: z.string().optional() }),
});

/** The human decision an approval-workflow run waits for, matched on `data.jobId` and `data.orgId`. */
export const approvalDecisionMade = eventType("approval/decision.made", {
  schema: z.object({
    jobId: z.string(),
    orgId: z.string().optional(),
    decision: z.enum(["approve", "reject"]),
    decidedBy: z.string().optional(),
    comment: z.string().optional(),
  }),
});

/**
 * How a follow-up event finds its job's run: same job id and same organization. Matching on the job id alone
 * would let an event sent for one organization cancel or decide another organization's job.
 */
export const SAME_JOB = "event.data.jobId == async.data.jobId && event.data.orgId == async.data.orgId";
