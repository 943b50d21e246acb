import { fillTemplate, storeGeneratedContent } from "@/server/services/documents/generate-content";
import { inngest } from "../client";
import { cancelOnJobCancel, contentGenerateRequested } from "../events";
import { failJobOnFailure } from "./job-failure";

/** The middle queue: 30 at once, 10 per organization. Fills a template and stores the text as a document. */
export const generateContent = inngest.createFunction(
  {
    id: "generate-content",
    retries: 3,
    triggers: [contentGenerateRequested],
    concurrency: [{ limit: 30 }, { limit: 10, key: "event.data.orgId" }],
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
