import { AppError } from "../../errors";
import type { Identity } from "../../identity";
import { DEFAULT_OVERLAP_HOURS, orgWebhookSecrets, rotateWebhookSecret } from "../../services/webhooks/org-secret";
import { protectedProcedure, router } from "../trpc";

/** An organization's admin: Clerk's org:admin role (the local development identity is one). */
function assertOrgAdmin(identity: Identity, what: string): void {
  if (identity.orgRole === "org:admin") return;
  throw new AppError("FORBIDDEN", `only an admin of this organization can ${what}`);
}

/** An organization's settings: its webhook signing secret, shown to and rotated by its admins. */
export const settingsRouter = router({
  webhookSecret: protectedProcedure.query(async ({ ctx }) => {
    assertOrgAdmin(ctx.identity, "see its webhook signing secret");
    return orgWebhookSecrets(ctx.scope.orgId);
  }),
  rotateWebhookSecret: protectedProcedure
    // Checked by rotateWebhookSecret, so a bad value is a 400 naming the field.
    .input((raw: unknown) => (raw ?? {}) as { overlapHours?: number })
    .mutation(async ({ ctx, input }) => {
      assertOrgAdmin(ctx.identity, "rotate its webhook signing secret");
      return rotateWebhookSecret(ctx.scope.orgId, input.overlapHours ?? DEFAULT_OVERLAP_HOURS);
    }),
});
