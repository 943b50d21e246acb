import { z } from "zod";
import { aggregateQueueStats } from "@/server/services/stats/aggregate-queue-stats";
import { defineJobType } from "./define-job-type";

/** The widest queue: 60 at once, 20 per organization. Rebuilds the organization's per-minute queue statistics. */
export const syncAnalytics = defineJobType({
  type: "sync-analytics",
  label: "Sync analytics",
  description: "Aggregates the last minutes of jobs into per-minute queue statistics (queue of 60).",
  payload: z.object({ minutes: z.number().int().min(1).max(1_440).default(60) }),
  event: "analytics/sync.requested",
  options: { id: "sync-analytics", retries: 3, concurrency: [{ limit: 60 }, { limit: 20, key: "event.data.orgId" }] },
  handler: async ({ event, step }) => {
    const minutes = event.data.minutes ?? 60;
    return step.run("aggregate", async () => {
      const to = new Date();
      const from = new Date(Math.floor((to.getTime() - minutes * 60_000) / 60_000) * 60_000);
      const rows = await aggregateQueueStats({ from, to, orgId: event.data.orgId });
      return { from: from.toISOString(), to: to.toISOString(), rows };
    });
  },
});
