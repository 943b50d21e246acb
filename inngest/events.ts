import { eventType } from "inngest";
import { z } from "zod";

/**
 * The typed event catalogue: names and payloads of every event the app sends or consumes. (Inngest checks these
 * schemas at run time and requires input and output types to match, so defaults live in the functions.)
 *
 * Events sent by the job service carry `jobId` (and `orgId`) next to the job's payload; the job-tracking middleware
 * uses `jobId` to record status and steps.
 */
const jobRef = {
  jobId: z.string().optional(),
  orgId: z.string().optional(),
};

export const demoTaskRequested = eventType("demo/task.requested", {
  schema: z.object({
    ...jobRef,
    taskId: z.string().min(1),
    priority: z.number().int().min(-600).max(600).optional(),
    simulateFailure: z.boolean().optional(),
    failAtStep: z.number().int().min(1).max(5).optional(),
    delayMs: z.number().int().min(0).max(30_000).optional(),
    sleepFor: z.string().optional(),
    force: z.boolean().optional(),
  }),
});

export const welcomeEmailRequested = eventType("email/welcome.requested", {
  schema: z.object({ ...jobRef, email: z.string(), name: z.string(), message: z.string() }),
});

export const webhookDeliveryRequested = eventType("webhook/delivery.requested", {
  schema: z.object({
    ...jobRef,
    url: z.string(),
    /** The destination host: the key of the per-host concurrency limit. */
    host: z.string(),
    body: z.unknown().optional(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
});

export const approvalRequested = eventType("approval/requested", {
  schema: z.object({
    ...jobRef,
    title: z.string(),
    details: z.string().optional(),
    amount: z.number().optional(),
    timeout: z.string().optional(),
  }),
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

export const creditProcessRequested = eventType("credits/process.requested", {
  schema: z.object({ ...jobRef, userId: z.string(), url: z.string(), input: z.unknown().optional() }),
});

export const reportRenderRequested = eventType("report/render.requested", {
  schema: z.object({ ...jobRef, title: z.string().optional(), days: z.number().int().optional() }),
});

export const contentGenerateRequested = eventType("content/generate.requested", {
  schema: z.object({
    ...jobRef,
    title: z.string(),
    template: z.string(),
    variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  }),
});

export const analyticsSyncRequested = eventType("analytics/sync.requested", {
  schema: z.object({ ...jobRef, minutes: z.number().int().optional() }),
});

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

/**
 * Every event the app's own functions are started, resumed or cancelled by. Only the job service sends these (with
 * the job's organization), so the console's "send event" refuses them.
 */
export const APP_EVENT_NAMES: ReadonlySet<string> = new Set(
  [
    demoTaskRequested,
    welcomeEmailRequested,
    webhookDeliveryRequested,
    approvalRequested,
    approvalDecisionMade,
    creditProcessRequested,
    reportRenderRequested,
    contentGenerateRequested,
    analyticsSyncRequested,
    jobCancelRequested,
  ].map((e) => e.name),
);
