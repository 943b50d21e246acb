import { z } from "zod";
import { defineJob } from "./define-job";

/** A Markdown report of the organization's jobs over the last days, stored as a document. */
export const renderReport = defineJob({
  type: "render-report",
  label: "Render report",
  description: "Renders a Markdown report of the organization's jobs over the last days into a stored document (queue of 10).",
  payload: z.object({ title: z.string().min(1).max(200).optional(), days: z.number().int().min(1).max(90).default(7) }),
  event: "report/render.requested",
  example: { title: "Weekly report", days: 7 },
});
