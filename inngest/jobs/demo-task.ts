import { NonRetriableError } from "inngest";
import { demoTask } from "@/jobs/demo-task";
import { jobFunction } from "./job-function";

const STEPS = ["step-1-initialize", "step-2-validate", "step-3-process", "step-4-persist", "step-5-finalize"] as const;

/**
 * The seed's demo task: five named steps (step 3 busy for `delayMs`, after a durable `sleepFor` when given),
 * priority from the event, at most 10 running, 100 starts per minute, idempotent on taskId for 24 h unless
 * `force`, retried with backoff.
 */
export const demoTaskFunction = jobFunction(
  demoTask,
  {
    retries: 3,
    priority: { run: "event.data.priority" },
    // At most 10 running; its tenant key at the same limit, so one organization alone may use all 10 and several
    // take turns at them (the embedded engine's fair scheduling; on Inngest a per-key limit).
    concurrency: [{ limit: 10 }, { limit: 10, key: "event.data.orgId" }],
    throttle: { limit: 100, period: "1m", burst: 10 },
    idempotency: "event.data.force == true ? event.id : event.data.taskId",
  },
  async ({ event, step, attempt, logger }) => {
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
);
