import { z } from "zod";
import { defineJob } from "./define-job";
import { httpUrl, sensitive } from "./fields";

/**
 * Headers a tenant may not set on its deliveries (case-insensitive): the Standard Webhooks signature headers and the
 * content framing are Jobdeck's, so a receiver's check of them cannot be fooled by a second copy.
 */
export const RESERVED_WEBHOOK_HEADERS: ReadonlySet<string> = new Set([
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "x-jobdeck-signature",
  "content-type",
  "content-length",
  "content-encoding",
  "transfer-encoding",
  "host",
  "connection",
]);

/** A tenant's own headers: names and values HTTP allows, none of the reserved ones, none given twice. */
const tenantHeaders = z
  .record(
    z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, "must be an HTTP header name"),
    z
      .string()
      .max(4_000)
      .regex(/^[^\r\n]*$/, "must be one line"),
  )
  .superRefine((headers, ctx) => {
    const seen = new Set<string>();
    for (const name of Object.keys(headers)) {
      const lower = name.toLowerCase();
      if (RESERVED_WEBHOOK_HEADERS.has(lower))
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `${name} is set by Jobdeck (signatures and content framing cannot be overridden)`,
        });
      else if (seen.has(lower))
        ctx.addIssue({ code: "custom", path: [name], message: `${name} is given twice (header names are case-insensitive)` });
      seen.add(lower);
    }
  });

/** One webhook delivery: a JSON body POSTed, signed, to a URL; the destination host keys its concurrency. */
export const deliverWebhook = defineJob({
  type: "deliver-webhook",
  label: "Webhook delivery",
  description:
    "POSTs a JSON body signed with the organization's secret (Standard Webhooks) to a URL; retries 5xx and network errors with backoff, honours Retry-After, gives up on other 4xx.",
  payload: z.object({
    url: httpUrl,
    body: z.unknown().default({}),
    // Tenants put credentials here (Authorization): read-only members see it masked.
    headers: sensitive(tenantHeaders).optional(),
  }),
  event: "webhook/delivery.requested",
  example: { url: "https://example.com/hooks/jobdeck", body: { hello: "world" } },
  /** The destination host: the key of the per-host concurrency limit. */
  eventFields: { host: z.string() },
  eventData: (p) => ({ host: new URL(p.url).host }),
  outboundUrls: ["url"],
});
