import { z } from "zod";
import { fillTemplate, storeGeneratedContent } from "@/server/services/documents/generate-content";
import { defineJobType } from "./define-job-type";

/** The middle queue: 30 at once, 10 per organization. Fills a template and stores the text as a document. */
export const generateContent = defineJobType({
  type: "generate-content",
  label: "Generate content",
  description: "Fills a {{variable}} template and stores the text as a document (queue of 30).",
  payload: z.object({
    title: z.string().min(1).max(200),
    template: z.string().min(1).max(20_000),
    variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  }),
  event: "content/generate.requested",
  options: { id: "generate-content", retries: 3, concurrency: [{ limit: 30 }, { limit: 10, key: "event.data.orgId" }] },
  handler: async ({ event, step }) => {
    const filled = await step.run("fill-template", () => fillTemplate(event.data.template, event.data.variables ?? {}));
    const stored = await step.run("store", () =>
      storeGeneratedContent({ orgId: event.data.orgId ?? "unknown", jobId: event.data.jobId, title: event.data.title, text: filled.text }),
    );
    return { ...stored, missingVariables: filled.missing };
  },
});
