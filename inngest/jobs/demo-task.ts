import { NonRetriableError } from "inngest";
import { z } from "zod";
import { defineJobType } from "./define-job-type";
import { duration } from "./fields";

const STEPS = ["step-1-initialize", "step-2-validate", "step-3-process", "step-4-persist", "step-5-finalize"] as const;

/**
 * The seed's demo task: five named steps (step 3 busy for `delayMs`, after a durable `sleepFor` when given),
 * priority from the event, at most 10 running, 100 starts per minute, idempotent on taskId for 24 h unless
 * `force`, retried with backoff.
 */
export const demoTask = defineJobType({
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
  options: {
    id: "demo-task",
    retries: 3,
    priority: { run: "event.data.priority" },
    concurrency: { limit: 10 },
    throttle: { limit: 100, period: "1m", burst: 10 },
    idempotency: "event.data.force == true ? event.id : event.data.taskId",
  },
  handler: async ({ event, step, attempt, logger }) => {
    const { taskId, simulateFailure = false, failAtStep, failUntil, delayMs = 0, sleepFor } = event.data;
    const results: Record<string, unknown> = {};
    for (const [i, name] of STEPS.entries()) {
      const n = i + 1;
      // A parked sleep, unlike delayMs: no request and no concurrency slot is held while it lasts.
      if (n === 3 && sleepFor) await step.sleep("sleep-before-step-3", sleepFor);
      results[name] = await step.run(name, async () => {
        // Shown under the step in the console's timeline and searchable from /logs (middleware/step-logs.ts).
        logger.info(`${name}: working on task ${taskId}`);
        if (n === 3 && delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        if (simulateFailure && failAtStep === n && (!failUntil || Date.now() < Date.parse(failUntil))) {
          logger.error(`${name}: simulated failure for task ${taskId}`);
          throw new Error(`simulated failure at step ${n} (attempt ${attempt + 1})`);
        }
        return { taskId, step: n, at: new Date().toISOString() };
      });
    }
    if (!taskId) throw new NonRetriableError("taskId missing");
    return { taskId, steps: STEPS.length, results };
  },
});
