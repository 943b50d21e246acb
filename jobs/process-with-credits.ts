import { z } from "zod";
import { defineJob } from "./define-job";
import { httpUrl, jsonObject } from "./fields";

/** Paid work for one user at a time: the user whose credits pay keys a one-at-a-time concurrency limit. */
export const processWithCredits = defineJob({
  type: "process-with-credits",
  label: "Process with credits",
  description: "Calls an HTTP endpoint for the user if they have a credit left, stores the result and deducts one credit exactly once.",
  payload: z.object({ url: httpUrl, input: jsonObject.optional() }),
  event: "credits/process.requested",
  example: { url: "https://example.com/api/process", input: { text: "hello" } },
  /** The user whose credits pay: the key of the one-at-a-time concurrency limit. */
  eventFields: { userId: z.string() },
  eventData: (_p, job) => ({ userId: job.createdBy }),
  outboundUrls: ["url"],
});
