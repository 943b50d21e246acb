import nodemailer from "nodemailer";
import { env } from "@/env";
import { db } from "../../db";

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Delivery {
  transport: "smtp" | "mailbox";
  messageId: string;
  accepted?: string[];
}

/**
 * Sends through SMTP when SMTP_URL is set, otherwise into the local mailbox table (no account needed, and the
 * console shows it). Timeouts are short so a hung server fails the step, which Inngest retries.
 */
export async function deliverEmail(message: EmailMessage, owner: { orgId: string; jobId?: string | null }): Promise<Delivery> {
  const e = env();
  if (e.SMTP_URL) {
    const url = new URL(e.SMTP_URL);
    url.searchParams.set("connectionTimeout", "10000");
    url.searchParams.set("greetingTimeout", "10000");
    url.searchParams.set("socketTimeout", "30000");
    const transport = nodemailer.createTransport(url.toString());
    try {
      const info = await transport.sendMail({ from: e.EMAIL_FROM, ...message });
      return { transport: "smtp", messageId: info.messageId, accepted: info.accepted.map(String) };
    } finally {
      transport.close();
    }
  }
  const row = await db().mailboxMessage.create({
    data: { orgId: owner.orgId, jobId: owner.jobId ?? null, from: e.EMAIL_FROM, ...message, html: message.html ?? null },
  });
  return { transport: "mailbox", messageId: row.id };
}

const REFUSED = new Set(["ECONNECTION", "ECONNREFUSED", "EDNS", "EAUTH", "EENVELOPE", "ETLS", "ENOTFOUND", "EHOSTUNREACH"]);

/**
 * True when an SMTP error proves the message was not accepted: no connection, authentication or envelope
 * refused, or the server answered the message with an error code. A timeout after the message was sent proves
 * nothing, so it is not in this list.
 */
export function emailCertainlyNotSent(err: unknown): boolean {
  const e = err as { code?: string; responseCode?: number };
  if (e.code && REFUSED.has(e.code)) return true;
  return typeof e.responseCode === "number" && e.responseCode >= 400;
}

/** Messages in an organization's local mailbox, newest first. */
export async function listMailbox(orgId: string, limit = 50) {
  return db().mailboxMessage.findMany({ where: { orgId }, orderBy: { createdAt: "desc" }, take: Math.min(limit, 200) });
}
