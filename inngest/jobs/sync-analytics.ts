import { syncAnalytics } from "@/jobs/sync-analytics";
import { aggregateQueueStats } from "@/server/services/stats/aggregate-queue-stats";
import { jobFunction } from "./job-function";

/** The widest queue: 60 at once, 20 per organization. Rebuilds the organization's per-minute queue statistics. */
export const syncAnalyticsFunction = jobFunction(
  syncAnalytics,
  { retries: 3, concurrency: [{ limit: 60 }, { limit: 20, key: "event.data.orgId" }] },
  async ({ event, step }) => {
    const minutes = event.data.minutes ?? 60;
    return step.run("aggregate", async () => {
      const to = new Date();
      const from = new Date(Math.floor((to.getTime() - minutes * 60_000) / 60_000) * 60_000);
      const rows = await aggregateQueueStats({ from, to, orgId: event.data.orgId });
      return { from: from.toISOString(), to: to.toISOString(), rows };
    });
  },
);
