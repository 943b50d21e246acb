import { sendWelcomeEmail } from "@/jobs/send-welcome-email";
import { deliverEmail, emailCertainlyNotSent } from "@/server/services/email/deliver-email";
import { atMostOnce } from "@/server/services/side-effects/at-most-once";
import { jobFunction } from "./job-function";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** The welcome message: plain text and an HTML alternative, with the user's text escaped. */
export function renderWelcome(data: { email: string; name: string; message?: string }) {
  const body = data.message || "Your account is ready.";
  return {
    to: data.email,
    subject: `Welcome, ${data.name}!`,
    text: `Hi ${data.name},\n\n${body}\n\n— The Jobdeck team`,
    html: `<p>Hi ${escapeHtml(data.name)},</p><p>${escapeHtml(body).replace(/\n/g, "<br>")}</p><p>— The Jobdeck team</p>`,
  };
}

/**
 * Sends a welcome email at most once. The send is reserved (a SideEffect row keyed by the job) before it happens
 * and completed after; a retry after a crash in between reports "unknown, not resent" instead of sending again.
 * SMTP refusing or being unreachable releases the reservation, so Inngest's retries try again.
 */
export const sendWelcomeEmailFunction = jobFunction(
  sendWelcomeEmail,
  { retries: 4, concurrency: { limit: 20, key: "event.data.orgId" } },
  async ({ event, step }) => {
    const message = await step.run("render", () => renderWelcome(event.data));
    // Keyed by organization too: an event naming another organization's job id can never take that job's send.
    const key = `email:welcome:${event.data.orgId ?? "none"}:${event.data.jobId ?? event.id}`;
    const outcome = await step.run("send", () =>
      atMostOnce(
        key,
        { kind: "email", jobId: event.data.jobId },
        () => deliverEmail(message, { orgId: event.data.orgId ?? "unknown", jobId: event.data.jobId }),
        emailCertainlyNotSent,
      ),
    );
    if (outcome.status === "unknown") {
      return { sent: "unknown, not resent", to: message.to, reservedAt: outcome.reservedAt };
    }
    return { sent: outcome.status === "done" ? "sent" : "already sent", to: message.to, ...outcome.detail };
  },
);
