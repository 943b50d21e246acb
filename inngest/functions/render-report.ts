import { renderJobReport } from "@/server/services/documents/render-report";
import { inngest } from "../client";
import { cancelOnJobCancel, reportRenderRequested } from "../events";
import { failJobOnFailure } from "./job-failure";

const DAY = 86_400_000;

/**
 * The slowest of the three queues (like the BullMQ seed's generate-content workers, each queue has its own
 * capacity): at most 10 reports render at once, 3 per organization, so one busy organization cannot take it all.
 */
export const renderReport = inngest.createFunction(
  {
    id: "render-report",
    retries: 3,
    triggers: [reportRenderRequested],
    concurrency: [{ limit: 10 }, { limit: 3, key: "event.data.orgId" }],
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
