import { z } from "zod";
import { defineJobType } from "./define-job-type";

/**
 * For `npm run bench:stack` only (listed when JOBDECK_BENCH_JOB_TYPES=1): one no-op step and no flow control, so
 * the benchmark measures what the stack costs per job, not the demo task's throttle or its five steps.
 */
export const benchNoop = defineJobType({
  type: "bench-noop",
  label: "Benchmark no-op",
  description: "One step that does nothing (benchmarks only).",
  payload: z.object({}),
  event: "bench/noop.requested",
  options: { id: "bench-noop", retries: 0 },
  handler: async ({ step }) => step.run("noop", () => true),
});
