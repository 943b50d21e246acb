import { z } from "zod";
import { defineJob } from "./define-job";

/** A {{variable}} template filled and stored as a document. */
export const generateContent = defineJob({
  type: "generate-content",
  label: "Generate content",
  description: "Fills a {{variable}} template and stores the text as a document (queue of 30).",
  payload: z.object({
    title: z.string().min(1).max(200),
    template: z.string().min(1).max(20_000),
    variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  }),
  event: "content/generate.requested",
  example: { title: "Welcome note", template: "Hello {{name}}!", variables: { name: "Ada" } },
});
