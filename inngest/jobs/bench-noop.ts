import { benchNoop } from "@/jobs/bench-noop";
import { jobFunction } from "./job-function";

/**
 * For `npm run bench:stack` only (listed when JOBDECK_BENCH_JOB_TYPES=1): one no-op step and no flow control, so
 * the benchmark measures what the stack costs per job, not the demo task's throttle or its five steps.
 */
export const benchNoopFunction = jobFunction(
  benchNoop,
  // Only its tenant key (no real cap): the engine's in-flight cap is shared fairly between organizations.
  { retries: 0, concurrency: { limit: 1_000, key: "event.data.orgId" } },
  async ({ step }) => step.run("noop", () => true),
);
