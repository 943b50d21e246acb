import { z } from "zod";
import { defineJob } from "./define-job";

/** The organization's per-minute queue statistics, rebuilt over the last minutes. */
export const syncAnalytics = defineJob({
  type: "sync-analytics",
  label: "Sync analytics",
  description: "Aggregates the last minutes of jobs into per-minute queue statistics (queue of 60).",
  payload: z.object({ minutes: z.number().int().min(1).max(1_440).default(60) }),
  event: "analytics/sync.requested",
  example: { minutes: 60 },
});
