import { renderReport } from "@/jobs/render-report";
import { renderJobReport } from "@/server/services/documents/render-report";
import { jobFunction } from "./job-function";

const DAY = 86_400_000;

/**
 * The slowest of the three queues (like the BullMQ seed's generate-content workers, each queue has its own
 * capacity): at most 10 reports render at once, 3 per organization, so one busy organization cannot take it all.
 */
export const renderReportFunction = jobFunction(
  renderReport,
  { retries: 3, concurrency: [{ limit: 10 }, { limit: 3, key: "event.data.orgId" }] },
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
