import { z } from "zod";
import { renderJobReport } from "@/server/services/documents/render-report";
import { defineJobType } from "./define-job-type";

const DAY = 86_400_000;

/**
 * The slowest of the three queues (like the BullMQ seed's generate-content workers, each queue has its own
 * capacity): at most 10 reports render at once, 3 per organization, so one busy organization cannot take it all.
 */
export const renderReport = defineJobType({
  type: "render-report",
  label: "Render report",
  description: "Renders a Markdown report of the organization's jobs over the last days into a stored document (queue of 10).",
  payload: z.object({ title: z.string().min(1).max(200).optional(), days: z.number().int().min(1).max(90).default(7) }),
  event: "report/render.requested",
  options: { id: "render-report", retries: 3, concurrency: [{ limit: 10 }, { limit: 3, key: "event.data.orgId" }] },
  handler: async ({ event, step }) => {
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
});
