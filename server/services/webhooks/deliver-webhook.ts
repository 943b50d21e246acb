import { createHmac } from "node:crypto";
import { truncateText } from "@jobdeck/safe-json";
import { env } from "@/env";
import { outboundFetch } from "../../net/outbound";

const DEV_SECRET = "jobdeck-development-webhook-secret";
const BODY_PREVIEW_CHARS = 2_000;
const TIMEOUT_MS = 15_000;

export interface WebhookAttempt {
  status: number;
  latencyMs: number;
  body: string;
  /** Seconds (or a date) from a Retry-After header, when the receiver asked to wait. */
  retryAfter?: string;
}

/** The signing key: WEBHOOK_SIGNING_SECRET, or a fixed development key outside production. */
export function webhookSecret(): string {
  const e = env();
  if (e.WEBHOOK_SIGNING_SECRET) return e.WEBHOOK_SIGNING_SECRET;
  if (e.NODE_ENV === "production") throw new Error("WEBHOOK_SIGNING_SECRET is not set: webhooks cannot be signed in production");
  return DEV_SECRET;
}

/**
 * `X-Jobdeck-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, Stripe's scheme: the receiver
 * recomputes it with the shared secret and rejects old timestamps to stop replays.
 */
export function signWebhook(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}

/** One POST of the JSON body; network errors and timeouts throw, every HTTP answer is returned. */
export async function postWebhook(url: string, payload: unknown, headers: Record<string, string> = {}): Promise<WebhookAttempt> {
  const body = JSON.stringify(payload ?? {});
  const started = performance.now();
  const res = await outboundFetch(url, {
    method: "POST",
    headers: {
      ...headers,
      "content-type": "application/json",
      "user-agent": "jobdeck-webhooks/1",
      "x-jobdeck-signature": signWebhook(body, webhookSecret()),
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
