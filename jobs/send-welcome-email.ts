import { z } from "zod";
import { defineJob } from "./define-job";
import { sensitive } from "./fields";

/** A welcome email, sent at most once (the caller must name the send with an idempotency key). */
export const sendWelcomeEmail = defineJob({
  type: "send-welcome-email",
  label: "Welcome email",
  description: "Sends a welcome email over SMTP (or to the local mailbox) at most once, even across crashes.",
  payload: z.object({
    email: sensitive(z.email("must be an email address")),
    name: z.string().min(1).max(200),
    message: z.string().max(5_000).default(""),
  }),
  event: "email/welcome.requested",
  example: { email: "ada@example.com", name: "Ada" },
  requiresIdempotencyKey: true,
});
