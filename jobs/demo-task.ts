import { z } from "zod";
import { defineJob } from "./define-job";
import { duration } from "./fields";

/**
 * The seed's demo task: five named steps (step 3 busy for `delayMs`, after a durable `sleepFor` when given), which
 * can fail at a chosen step to show retries and failure handling.
 */
export const demoTask = defineJob({
  type: "demo-task",
  label: "Demo task",
  description:
    "Five named steps; step 3 works for delayMs, after an optional durable sleepFor; can fail at a chosen step to show retries and failure handling.",
  payload: z.object({
    taskId: z.string().min(1).max(200).optional().describe("Your id for the task; defaults to the job id"),
    simulateFailure: z.boolean().optional().describe("Throw at failAtStep on every attempt"),
    failAtStep: z.number().int().min(1).max(5).optional().describe("Step 1-5 to fail at when simulateFailure is set"),
    failUntil: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("With simulateFailure: fail only until this time (an outage that ends), e.g. to rerun from the failed step"),
    delayMs: z.number().int().min(0).max(30_000).optional().describe("How long step 3 keeps working (holding its slot), 0-30000 ms"),
    sleepFor: duration
      .optional()
      .describe("A durable sleep (step.sleep) before step 3, e.g. 30s or 1h: the run is parked, holding no slot"),
    force: z.boolean().optional().describe("Run even if this taskId ran in the last 24 h"),
  }),
  event: "demo/task.requested",
  example: { taskId: "example-task", delayMs: 500 },
  eventFields: {
    taskId: z.string().min(1).max(200),
    priority: z.number().int().min(-600).max(600).optional(),
  },
  eventData: (p, job) => ({
    taskId: p.taskId ?? job.id,
    priority: job.priority,
    // Jobs are deduplicated by their idempotency key (per organization, see impliedIdempotencyKey); the
    // function's own taskId idempotency (global, 24 h) is for raw event senders and would silently drop retries
    // or another organization's job with the same taskId, leaving it QUEUED.
    force: true,
  }),
  impliedIdempotencyKey: (p) => (p.taskId && !p.force ? `demo-task:${p.taskId}` : undefined),
});
