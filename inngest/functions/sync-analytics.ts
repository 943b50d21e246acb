import { aggregateQueueStats } from "@/server/services/stats/aggregate-queue-stats";
import { inngest } from "../client";
import { analyticsSyncRequested, cancelOnJobCancel } from "../events";
import { failJobOnFailure } from "./job-failure";

/** The widest queue: 60 at once, 20 per organization. Rebuilds the organization's per-minute queue statistics. */
export const syncAnalytics = inngest.createFunction(
  {
    id: "sync-analytics",
    retries: 3,
    triggers: [analyticsSyncRequested],
    concurrency: [{ limit: 60 }, { limit: 20, key: "event.data.orgId" }],
    cancelOn: cancelOnJobCancel(),
    onFailure: failJobOnFailure,
  },
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
