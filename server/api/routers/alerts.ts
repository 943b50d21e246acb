import type { z } from "zod";
import { alertHistory, type alertHistoryInput } from "../../services/alerts/alert-history";
import {
  createAlertRule,
  type createAlertRuleInput,
  deleteAlertRule,
  listAlertRules,
  snoozeAlertRule,
  type snoozeInput,
  updateAlertRule,
  type updateAlertRuleInput,
} from "../../services/alerts/alert-rules";
import { protectedProcedure, router } from "../trpc";

// Inputs are checked by the services, so a bad field is a 400 naming it (as on the REST API).
const raw =
  <T>() =>
  (v: unknown) =>
    (v ?? {}) as T;

/** Alert rules (members read, admins change) and their history. */
export const alertsRouter = router({
  list: protectedProcedure.query(({ ctx }) => listAlertRules(ctx.scope)),
  create: protectedProcedure
    .input(raw<z.input<typeof createAlertRuleInput>>())
    .mutation(({ ctx, input }) => createAlertRule(ctx.scope, input)),
  update: protectedProcedure
    .input(raw<z.input<typeof updateAlertRuleInput>>())
    .mutation(({ ctx, input }) => updateAlertRule(ctx.scope, input)),
  delete: protectedProcedure.input(raw<{ id: string }>()).mutation(({ ctx, input }) => deleteAlertRule(ctx.scope, String(input.id ?? ""))),
  snooze: protectedProcedure.input(raw<z.input<typeof snoozeInput>>()).mutation(({ ctx, input }) => snoozeAlertRule(ctx.scope, input)),
  history: protectedProcedure
    .input(raw<z.input<typeof alertHistoryInput>>())
    .query(({ ctx, input }) => alertHistory(ctx.scope, ctx.operator, input)),
});
