import { DEFAULT_OVERLAP_HOURS, revealWebhookSecrets, rotateWebhookSecret, webhookSecretInfo } from "../../services/webhooks/org-secret";
import { protectedProcedure, router } from "../trpc";

/** An organization's settings: its webhook signing secret, shown to and rotated by its admins (the services check). */
export const settingsRouter = router({
  /** Masked: what the settings page shows until an admin reveals it. */
  webhookSecret: protectedProcedure.query(({ ctx }) => webhookSecretInfo(ctx.scope)),
  /** In full, and recorded in the audit trail: a mutation, so it happens once, when asked. */
  revealWebhookSecret: protectedProcedure.mutation(({ ctx }) => revealWebhookSecrets(ctx.scope)),
  rotateWebhookSecret: protectedProcedure
    // Checked by rotateWebhookSecret, so a bad value is a 400 naming the field.
    .input((raw: unknown) => (raw ?? {}) as { overlapHours?: number })
    .mutation(({ ctx, input }) => rotateWebhookSecret(ctx.scope, input.overlapHours ?? DEFAULT_OVERLAP_HOURS)),
});
