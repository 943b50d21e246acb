import { db } from "../../db";
import { outboundFetch } from "../../net/outbound";
import { deliverEmail } from "../email/deliver-email";
import { postWebhook } from "../webhooks/deliver-webhook";
import { INSTALLATION } from "./evaluate-alerts";

/**
 * Tells a rule's channel that it started firing or resolved: an email (SMTP, or the local mailbox), a `{text}` post to
 * a Slack-compatible webhook, or a JSON post signed with the organization's secret (Standard Webhooks; `webhook-id`
 * is the alert event's, the same on every retry). Once per alert event: a notified event is not sent again, and a
 * failed send is recorded on the event and thrown, so the cron's step retries it.
 */
export async function notifyAlert(eventId: bigint | string): Promise<{ sent: boolean; channel?: string }> {
  const event = await db().alertEvent.findUnique({ where: { id: BigInt(eventId) } });
  if (!event || event.notifiedAt || event.snoozed) return { sent: false };
  const rule = await db().alertRule.findUnique({ where: { id: event.ruleId } });
  if (!rule) return { sent: false };
  try {
    if (rule.channel === "EMAIL") {
      await deliverEmail(
        {
          to: rule.target,
          subject: `[Jobdeck] ${event.kind === "FIRING" ? "Alert" : "Resolved"}: ${rule.name}`,
          text: `${event.message}\n\nAt ${event.at.toISOString()}.`,
        },
        { orgId: rule.orgId },
      );
    } else if (rule.channel === "SLACK") {
      const res = await outboundFetch(rule.target, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: `Jobdeck ${event.message}` }),
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`the webhook answered ${res.status}`);
    } else {
      if (rule.orgId === INSTALLATION) throw new Error("the installation's rule has no organization secret to sign with");
      const attempt = await postWebhook({
        url: rule.target,
        orgId: rule.orgId,
        messageId: `alert_${event.id}`,
        payload: {
          type: event.kind === "FIRING" ? "alert.firing" : "alert.resolved",
          rule: {
            id: rule.id,
            name: rule.name,
            kind: rule.kind,
            jobType: rule.jobType,
            threshold: rule.threshold,
            windowMinutes: rule.windowMinutes,
          },
          value: event.value,
          message: event.message,
          at: event.at.toISOString(),
        },
      });
      if (attempt.status < 200 || attempt.status >= 300) throw new Error(`the webhook answered ${attempt.status}`);
    }
    await db().alertEvent.update({ where: { id: event.id }, data: { notifiedAt: new Date(), notifyError: null } });
    return { sent: true, channel: rule.channel };
  } catch (err) {
    await db().alertEvent.update({ where: { id: event.id }, data: { notifyError: (err as Error).message.slice(0, 500) } });
    throw err;
  }
}
