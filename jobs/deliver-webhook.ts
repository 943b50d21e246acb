import { z } from "zod";
import { defineJob } from "./define-job";
import { httpUrl } from "./fields";

/** One webhook delivery: a JSON body POSTed, signed, to a URL; the destination host keys its concurrency. */
export const deliverWebhook = defineJob({
  type: "deliver-webhook",
  label: "Webhook delivery",
  description:
    "POSTs a signed JSON body to a URL; retries 5xx and network errors with backoff, honours Retry-After, gives up on other 4xx.",
  payload: z.object({
    url: httpUrl,
    body: z.unknown().default({}),
    headers: z.record(z.string(), z.string()).optional(),
  }),
  event: "webhook/delivery.requested",
  /** The destination host: the key of the per-host concurrency limit. */
  eventFields: { host: z.string() },
  eventData: (p) => ({ host: new URL(p.url).host }),
  outboundUrls: ["url"],
});
