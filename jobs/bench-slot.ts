import { z } from "zod";
import { defineJob } from "./define-job";

/**
 * For `npm run bench:tenants` only (listed when JOBDECK_BENCH_JOB_TYPES=1): one step that holds one of the
 * function's ten slots for `holdMs`, so the slots, not the machine, are what tenants share.
 */
export const benchSlot = defineJob({
  type: "bench-slot",
  label: "Benchmark slot holder",
  description: "One step that holds one of ten slots for holdMs (benchmarks only).",
  payload: z.object({ holdMs: z.number().int().min(0).max(1_000).default(20) }),
  event: "bench/slot.requested",
});
