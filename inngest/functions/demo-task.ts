import { NonRetriableError } from "inngest";
import { inngest } from "../client";
import { cancelOnJobCancel, demoTaskRequested } from "../events";
import { failJobOnFailure } from "./job-failure";

const STEPS = ["step-1-initialize", "step-2-validate", "step-3-process", "step-4-persist", "step-5-finalize"] as const;

/**
 * The seed's demo task: five named steps (step 3 busy for `delayMs`, after a durable `sleepFor` when given), priority from the event, at most 10
 * running, 100 starts per minute, idempotent on taskId for 24 h unless `force`, retried with backoff, stopped by
 * a cancel of its job, and marked FAILED with the error by its failure handler once retries are exhausted.
 */
export const demoTask = inngest.createFunction(
  {
    id: "demo-task",
    retries: 3,
    triggers: [demoTaskRequested],
    priority: { run: "event.data.priority" },
    concurrency: { limit: 10 },
    throttle: { limit: 100, period: "1m", burst: 10 },
    idempotency: "event.data.force == true ? event.id : event.data.taskId",
    cancelOn: cancelOnJobCancel(),
    onFailure: failJobOnFailure,
  },
  async ({ event, step, attempt }) => {
    const { taskId, simulateFailure = false, failAtStep, delayMs = 0, sleepFor } = event.data;
    const results: Record<string, unknown> = {};
    for (const [i, name] of STEPS.entries()) {
      const n = i + 1;
      // A parked sleep, unlike delayMs: no request and no concurrency slot is held while it lasts.
      if (n === 3 && sleepFor) await step.sleep("sleep-before-step-3", sleepFor);
      results[name] = await step.run(name, async () => {
        if (n === 3 && delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        if (simulateFailure && failAtStep === n) {
          throw new Error(`simulated failure at step ${n} (attempt ${attempt + 1})`);
        }
        return { taskId, step: n, at: new Date().toISOString() };
      });
    }
    if (!taskId) throw new NonRetriableError("taskId missing");
    return { taskId, steps: STEPS.length, results };
  },
);
