import { outboundRefusal } from "@jobdeck/outbound-guard";
import { NonRetriableError, RetryAfterError } from "inngest";
import { deliverWebhook } from "@/jobs/deliver-webhook";
import { postWebhook } from "@/server/services/webhooks/deliver-webhook";
import { jobFunction } from "./job-function";

/** Deliveries in flight per destination host: a slow receiver is not flooded, others are not held up. */
export const WEBHOOK_CONCURRENCY_PER_HOST = 5;

/** Retry-After is seconds or an HTTP date; RetryAfterError takes a delay in ms or a Date. */
function retryAfter(value: string): number | Date {
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(1, seconds) * 1000;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? 60_000 : date;
}

/**
 * Delivers one webhook: 2xx is done; 5xx, 429 and network errors are retried with backoff (Retry-After honoured);
 * any other 4xx is final (NonRetriableError). The result records status, latency and the start of the reply.
 */
export const deliverWebhookFunction = jobFunction(
  deliverWebhook,
  // The tenant key first (the organization), then the per-host limit: a slow receiver is not flooded, and the
  // organizations sending to one host take turns at its slots.
  {
    retries: 5,
    concurrency: [
      { limit: 50, key: "event.data.orgId" },
      { limit: WEBHOOK_CONCURRENCY_PER_HOST, key: "event.data.host" },
    ],
  },
  async ({ event, step, attempt }) => {
    const orgId = event.data.orgId;
    // Signed with the organization's own secret: an event that speaks for no organization has nothing to sign with.
    if (!orgId) throw new NonRetriableError("the delivery names no organization (data.orgId), so it cannot be signed");
    // One id for every attempt of this delivery (the job's, or the raw event's), so a receiver can drop a repeat.
    const messageId = `msg_${event.data.jobId ?? event.id}`;
    return step.run("post", async () => {
      const delivery = { url: event.data.url, payload: event.data.body, headers: event.data.headers, orgId, messageId };
      const res = await postWebhook(delivery).catch((err: unknown) => {
        // A destination jobs may not reach (loopback, private, metadata) stays refused: no retries.
        const refusal = outboundRefusal(err);
        throw refusal ? new NonRetriableError(refusal.message) : err;
      });
      const summary = { url: event.data.url, status: res.status, latencyMs: res.latencyMs, body: res.body, attempt: attempt + 1 };
      if (res.status >= 200 && res.status < 300) return summary;
      const reason = `${event.data.url} answered ${res.status}: ${res.body.slice(0, 200)}`;
      if (res.status === 429 || res.status >= 500) {
        if (res.retryAfter) throw new RetryAfterError(reason, retryAfter(res.retryAfter));
        throw new Error(reason);
      }
      throw new NonRetriableError(reason);
    });
  },
);
