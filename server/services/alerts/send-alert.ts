import { env } from "@/env";
import { outboundFetch } from "../../net/outbound";

/**
 * Posts `{text}` (the Slack incoming-webhook shape, also understood by Mattermost, Discord's /slack endpoint and
 * most chat tools) to ALERT_WEBHOOK_URL. Returns false when no URL is configured; throws when the post fails, so
 * the calling step is retried.
 */
export async function sendAlert(text: string): Promise<boolean> {
  const url = env().ALERT_WEBHOOK_URL;
  if (!url) return false;
  const res = await outboundFetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
    signal: AbortSignal.timeout(10_000),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`alert webhook answered ${res.status}`);
  return true;
}
