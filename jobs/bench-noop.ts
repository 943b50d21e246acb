import { z } from "zod";
import { defineJob } from "./define-job";

/** For `npm run bench:stack` only (listed when JOBDECK_BENCH_JOB_TYPES=1): one no-op step, no flow control. */
export const benchNoop = defineJob({
  type: "bench-noop",
  label: "Benchmark no-op",
  description: "One step that does nothing (benchmarks only).",
  payload: z.object({}),
  event: "bench/noop.requested",
});
