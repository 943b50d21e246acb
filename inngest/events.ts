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
    force: z.boolean().optional(),
  }),
});

/** Sent by `job.cancel`; every job function lists it in `cancelOn`, matched on `data.jobId`. */
export const jobCancelRequested = eventType("jobdeck/job.cancel.requested", {
  schema: z.object({ jobId: z.string(), orgId: z.string().optional(), reason: z.string().optional() }),
});

/** The cancelOn entry every job function uses, so a cancelled job's run stops at its next step. */
export function cancelOnJobCancel(): Array<{ event: typeof jobCancelRequested; match: string }> {
  return [{ event: jobCancelRequested, match: "data.jobId" }];
}
