import { type ListAuditInput, listAudit } from "../../services/audit/list-audit";
import { protectedProcedure, router } from "../trpc";

/** The audit trail: an organization's members read its own, operators everyone's. */
export const auditRouter = router({
  // Checked by listAudit, so a bad filter is a 400 naming the field.
  list: protectedProcedure
    .input((raw: unknown) => (raw ?? {}) as ListAuditInput)
    .query(({ ctx, input }) => listAudit(ctx.scope, ctx.operator, input)),
});
