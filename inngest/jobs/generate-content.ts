import { generateContent } from "@/jobs/generate-content";
import { fillTemplate, storeGeneratedContent } from "@/server/services/documents/generate-content";
import { jobFunction } from "./job-function";

/** The middle queue: 30 at once, 10 per organization. Fills a template and stores the text as a document. */
export const generateContentFunction = jobFunction(
  generateContent,
  { retries: 3, concurrency: [{ limit: 30 }, { limit: 10, key: "event.data.orgId" }] },
  async ({ event, step }) => {
    const filled = await step.run("fill-template", () => fillTemplate(event.data.template, event.data.variables ?? {}));
    const stored = await step.run("store", () =>
      storeGeneratedContent({ orgId: event.data.orgId ?? "unknown", jobId: event.data.jobId, title: event.data.title, text: filled.text }),
    );
    return { ...stored, missingVariables: filled.missing };
  },
);
