import { benchSlot } from "@/jobs/bench-slot";
import { jobFunction } from "./job-function";

/**
 * For `npm run bench:tenants` only (listed when JOBDECK_BENCH_JOB_TYPES=1): ten running at most, all of which one
 * organization may use alone, and several take turns at (the tenant key at the same limit, as demo-task declares).
 */
export const benchSlotFunction = jobFunction(
  benchSlot,
  { retries: 0, concurrency: [{ limit: 10 }, { limit: 10, key: "event.data.orgId" }] },
  async ({ event, step }) => step.run("hold", () => new Promise<boolean>((r) => setTimeout(() => r(true), event.data.holdMs ?? 20))),
);
