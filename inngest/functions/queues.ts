import { fillTemplate, storeGeneratedContent } from "@/server/services/documents/generate-content";
import { renderJobReport } from "@/server/services/documents/render-report";
import { aggregateQueueStats } from "@/server/services/stats/aggregate-queue-stats";
import { inngest } from "../client";
import { analyticsSyncRequested, cancelOnJobCancel, contentGenerateRequested, reportRenderRequested } from "../events";
import { failJobOnFailure } from "./job-failure";

/**
 * Three queues with their own capacity, like the BullMQ seed's generate-content workers: each function has a
 * global concurrency (10, 30, 60) and a smaller per-organization one, so one busy organization cannot take a
 * whole queue and the console shows queues that behave differently under load.
 */
export const QUEUE_LIMITS = {
  "render-report": { global: 10, perOrg: 3 },
  "generate-content": { global: 30, perOrg: 10 },
  "sync-analytics": { global: 60, perOrg: 20 },
} as const;

const DAY = 86_400_000;

export const renderReport = inngest.createFunction(
  {
    id: "render-report",
    retries: 3,
    triggers: [reportRenderRequested],
    concurrency: [
      { limit: QUEUE_LIMITS["render-report"].global },
      { limit: QUEUE_LIMITS["render-report"].perOrg, key: "event.data.orgId" },
    ],
    cancelOn: cancelOnJobCancel(),
    onFailure: failJobOnFailure,
  },
  async ({ event, step }) => {
    const orgId = event.data.orgId ?? "unknown";
    const days = event.data.days ?? 7;
    return step.run("render", () => {
      const to = new Date();
      return renderJobReport({
        orgId,
        jobId: event.data.jobId,
        from: new Date(to.getTime() - days * DAY),
        to,
        title: event.data.title ?? `Jobs of the last ${days} days`,
      });
    });
  },
);

export const generateContent = inngest.createFunction(
  {
    id: "generate-content",
    retries: 3,
    triggers: [contentGenerateRequested],
    concurrency: [
      { limit: QUEUE_LIMITS["generate-content"].global },
      { limit: QUEUE_LIMITS["generate-content"].perOrg, key: "event.data.orgId" },
    ],
    cancelOn: cancelOnJobCancel(),
    onFailure: failJobOnFailure,
  },
  async ({ event, step }) => {
    const filled = await step.run("fill-template", () => fillTemplate(event.data.template, event.data.variables ?? {}));
    const stored = await step.run("store", () =>
      storeGeneratedContent({ orgId: event.data.orgId ?? "unknown", jobId: event.data.jobId, title: event.data.title, text: filled.text }),
    );
    return { ...stored, missingVariables: filled.missing };
  },
);

export const syncAnalytics = inngest.createFunction(
  {
    id: "sync-analytics",
    retries: 3,
    triggers: [analyticsSyncRequested],
    concurrency: [
      { limit: QUEUE_LIMITS["sync-analytics"].global },
      { limit: QUEUE_LIMITS["sync-analytics"].perOrg, key: "event.data.orgId" },
    ],
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
