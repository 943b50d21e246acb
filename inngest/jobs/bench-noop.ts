import { benchNoop } from "@/jobs/bench-noop";
import { jobFunction } from "./job-function";

/**
 * For `npm run bench:stack` only (listed when JOBDECK_BENCH_JOB_TYPES=1): one no-op step and no flow control, so
 * the benchmark measures what the stack costs per job, not the demo task's throttle or its five steps.
 */
export const benchNoopFunction = jobFunction(benchNoop, { retries: 0 }, async ({ step }) => step.run("noop", () => true));
