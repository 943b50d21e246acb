import { createHmac } from "node:crypto";
import { truncateText } from "@jobdeck/safe-json";
import { Webhook } from "standardwebhooks";
import { env } from "@/env";
import { RESERVED_WEBHOOK_HEADERS } from "@/jobs/deliver-webhook";
import { outboundFetch } from "../../net/outbound";
import { signingSecrets } from "./org-secret";

const BODY_PREVIEW_CHARS = 2_000;
const TIMEOUT_MS = 15_000;

export interface WebhookAttempt {
  status: number;
  latencyMs: number;
  body: string;
  /** Seconds (or a date) from a Retry-After header, when the receiver asked to wait. */
  retryAfter?: string;
}

export interface WebhookDelivery {
  url: string;
  payload: unknown;
  /** The tenant's own headers; the signature headers and Content-Type are always Jobdeck's. */
  headers?: Record<string, string>;
  /** Whose secret signs it. */
  orgId: string;
  /** `webhook-id`: the same on every retry of one delivery, so a receiver can drop a repeat it already took. */
  messageId: string;
}

/**
 * Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`), signed with the
 * organization's secret, and during a rotation with the previous one too (two signatures, space-separated), as
 * receivers using the `standardwebhooks` library verify them.
 */
export async function signatureHeaders(delivery: WebhookDelivery, body: string, at = new Date()): Promise<Record<string, string>> {
  const secrets = await signingSecrets(delivery.orgId);
  const timestamp = Math.floor(at.getTime() / 1000);
  const signature = secrets.map((s) => new Webhook(s).sign(delivery.messageId, new Date(timestamp * 1000), body)).join(" ");
  return { "webhook-id": delivery.messageId, "webhook-timestamp": String(timestamp), "webhook-signature": signature };
}

/**
 * The deprecated single-secret signature (`X-Jobdeck-Signature: t=…,v1=<hex HMAC of "t.body">`), sent too while an
 * installation moves its receivers to their organization's secret (WEBHOOK_LEGACY_SIGNATURE=1). Any organization
 * could produce it for another's receiver: that is why it is off unless asked for.
 */
export function legacySignature(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}

/** The tenant's headers without any a receiver trusts Jobdeck for (a second signature, another Content-Type). */
export function tenantHeaders(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !RESERVED_WEBHOOK_HEADERS.has(name.toLowerCase())));
}

/** One POST of the JSON body; network errors and timeouts throw, every HTTP answer is returned. */
export async function postWebhook(delivery: WebhookDelivery): Promise<WebhookAttempt> {
  const body = JSON.stringify(delivery.payload ?? {});
  const e = env();
  const legacy: Record<string, string> =
    e.WEBHOOK_LEGACY_SIGNATURE && e.WEBHOOK_SIGNING_SECRET
      ? { "x-jobdeck-signature": legacySignature(body, e.WEBHOOK_SIGNING_SECRET) }
      : {};
  const started = performance.now();
  const res = await outboundFetch(delivery.url, {
    method: "POST",
    headers: {
      ...tenantHeaders(delivery.headers),
      "content-type": "application/json",
      "user-agent": "jobdeck-webhooks/1",
      ...legacy,
      ...(await signatureHeaders(delivery, body)),
    },
    body,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await res.text();
  return {
    status: res.status,
    latencyMs: Math.round(performance.now() - started),
    // Cut between characters, never inside an emoji (half of one could not be stored as the step's output).
    body: text.length > BODY_PREVIEW_CHARS ? `${truncateText(text, BODY_PREVIEW_CHARS)}…` : text,
    ...(res.headers.get("retry-after") ? { retryAfter: res.headers.get("retry-after") as string } : {}),
  };
}
