import { z } from "zod";
import type { AlertRule, Prisma } from "@/generated/prisma/client";
import { JOB_TYPE_NAMES } from "@/jobs";
import { db } from "../../db";
import { AppError } from "../../errors";
import { requireRole, type Scope } from "../../identity";
import { outboundUrl } from "../../net/outbound";
import { audited } from "../audit/record-audit";
import { parseInput } from "../validate";

/**
 * An organization's alert rules: what to watch (a failure rate over a window, N failures, a backlog, the oldest
 * queued job's age, a job gone silent), for which job type, and where to say so (an email, a Slack-compatible
 * webhook, or a webhook signed with the organization's secret). Members read them; admins change them; each change is
 * in the audit trail.
 */

export const ALERT_KINDS = ["FAILURE_RATE", "FAILURES", "BACKLOG", "OLDEST_QUEUED", "STUCK"] as const;
export const ALERT_CHANNELS = ["EMAIL", "SLACK", "WEBHOOK"] as const;

/** What a threshold means for each kind, for validation messages and the console. */
export const THRESHOLD_UNIT: Record<(typeof ALERT_KINDS)[number], string> = {
  FAILURE_RATE: "percent of finished jobs that failed",
  FAILURES: "failed jobs in the window",
  BACKLOG: "queued jobs",
  OLDEST_QUEUED: "seconds the oldest queued job has waited",
  STUCK: "seconds a running job has been silent (no heartbeat)",
};

const ruleFields = z.object({
  name: z.string().trim().min(1, "name is required").max(100, "name: at most 100 characters"),
  kind: z.enum(ALERT_KINDS, { error: `kind: one of ${ALERT_KINDS.join(", ")}` }),
  jobType: z
    .string()
    .refine((t) => JOB_TYPE_NAMES.includes(t), { message: `jobType: one of ${JOB_TYPE_NAMES.join(", ")}` })
    .nullable()
    .optional(),
  threshold: z.number({ error: "threshold: a number" }).finite(),
  windowMinutes: z
    .number()
    .int("windowMinutes: a whole number")
    .min(1, "windowMinutes: at least 1")
    .max(1440, "windowMinutes: at most 1440 (a day)")
    .default(15),
  channel: z.enum(ALERT_CHANNELS, { error: `channel: one of ${ALERT_CHANNELS.join(", ")}` }),
  target: z.string().trim().min(1, "target is required").max(2048),
  enabled: z.boolean().default(true),
});

type RuleFields = z.output<typeof ruleFields>;

/** The checks that depend on more than one field: a threshold that makes sense for its kind, a target for its channel. */
function checkRule(r: Pick<RuleFields, "kind" | "threshold" | "channel" | "target">, ctx: z.RefinementCtx): void {
  const t = r.threshold;
  const bad = (message: string) => ctx.addIssue({ code: "custom", path: ["threshold"], message });
  if (r.kind === "FAILURE_RATE" && (t <= 0 || t > 100)) bad("threshold: a failure rate is a percentage above 0 and at most 100");
  if ((r.kind === "FAILURES" || r.kind === "BACKLOG") && (!Number.isInteger(t) || t < 1))
    bad("threshold: a whole number of jobs, at least 1");
  if ((r.kind === "OLDEST_QUEUED" || r.kind === "STUCK") && (t < 60 || t > 30 * 86_400))
    bad("threshold: seconds, from 60 to 2592000 (30 days)");
  const target = r.channel === "EMAIL" ? z.email().safeParse(r.target) : outboundUrl.safeParse(r.target);
  if (!target.success) {
    const why = r.channel === "EMAIL" ? "an email address" : (target.error.issues[0]?.message ?? "an http(s) URL");
    ctx.addIssue({ code: "custom", path: ["target"], message: `target: ${why}` });
  }
}

export const createAlertRuleInput = ruleFields.superRefine(checkRule);
export const updateAlertRuleInput = ruleFields.partial().extend({ id: z.uuid("id: not a rule id") });

export interface AlertRuleView {
  id: string;
  name: string;
  kind: AlertRule["kind"];
  jobType: string | null;
  threshold: number;
  windowMinutes: number;
  channel: AlertRule["channel"];
  target: string;
  enabled: boolean;
  snoozedUntil: string | null;
  state: AlertRule["state"];
  firingSince: string | null;
  lastValue: number | null;
  lastEvaluatedAt: string | null;
  createdBy: string;
  updatedAt: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const toRuleView = (r: AlertRule): AlertRuleView => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  jobType: r.jobType,
  threshold: r.threshold,
  windowMinutes: r.windowMinutes,
  channel: r.channel,
  target: r.target,
  enabled: r.enabled,
  snoozedUntil: iso(r.snoozedUntil),
  state: r.state,
  firingSince: iso(r.firingSince),
  lastValue: r.lastValue,
  lastEvaluatedAt: iso(r.lastEvaluatedAt),
  createdBy: r.createdBy,
  updatedAt: r.updatedAt.toISOString(),
});

/** The fields a change is recorded with (the target too: where alerts go is what an attacker would change). */
const ruleSnapshot = (r: AlertRule) => ({
  name: r.name,
  kind: r.kind,
  jobType: r.jobType,
  threshold: r.threshold,
  windowMinutes: r.windowMinutes,
  channel: r.channel,
  target: r.target,
  enabled: r.enabled,
  snoozedUntil: iso(r.snoozedUntil),
});

/** An organization may keep this many rules (each is evaluated every minute). */
export const MAX_RULES_PER_ORG = 50;

export async function listAlertRules(scope: Scope): Promise<AlertRuleView[]> {
  const rows = await db().alertRule.findMany({ where: { orgId: scope.orgId }, orderBy: { createdAt: "asc" } });
  return rows.map(toRuleView);
}

async function findRule(client: Pick<Prisma.TransactionClient, "alertRule">, scope: Scope, id: string) {
  const rule = z.uuid().safeParse(id).success ? await client.alertRule.findFirst({ where: { id, orgId: scope.orgId } }) : null;
  if (!rule) throw new AppError("NOT_FOUND", `no alert rule ${id.slice(0, 64)} in your organization`);
  return rule;
}

export async function createAlertRule(scope: Scope, raw: z.input<typeof createAlertRuleInput>): Promise<AlertRuleView> {
  requireRole(scope, "admin", "changing alert rules");
  const input = parseInput(createAlertRuleInput, raw);
  return audited(scope, async (tx) => {
    if ((await tx.alertRule.count({ where: { orgId: scope.orgId } })) >= MAX_RULES_PER_ORG) {
      throw new AppError("CONFLICT", `an organization may have at most ${MAX_RULES_PER_ORG} alert rules; delete one first`);
    }
    const rule = await tx.alertRule.create({
      data: { ...input, jobType: input.jobType ?? null, orgId: scope.orgId, createdBy: scope.userId },
    });
    return {
      result: toRuleView(rule),
      audit: { action: "alertRule.create", targetType: "alertRule", targetId: rule.id, after: ruleSnapshot(rule) },
    };
  });
}

export async function updateAlertRule(scope: Scope, raw: z.input<typeof updateAlertRuleInput>): Promise<AlertRuleView> {
  requireRole(scope, "admin", "changing alert rules");
  const { id, ...patch } = parseInput(updateAlertRuleInput, raw);
  return audited(scope, async (tx) => {
    const before = await findRule(tx, scope, id);
    const merged = parseInput(createAlertRuleInput, { ...ruleSnapshot(before), ...patch, snoozedUntil: undefined });
    const rule = await tx.alertRule.update({
      where: { id },
      // A rule changed starts over: it fires again if its new condition holds.
      data: { ...merged, jobType: merged.jobType ?? null, state: "OK", firingSince: null },
    });
    return {
      result: toRuleView(rule),
      audit: { action: "alertRule.update", targetType: "alertRule", targetId: id, before: ruleSnapshot(before), after: ruleSnapshot(rule) },
    };
  });
}

export async function deleteAlertRule(scope: Scope, id: string): Promise<{ deleted: string }> {
  requireRole(scope, "admin", "changing alert rules");
  return audited(scope, async (tx) => {
    const before = await findRule(tx, scope, id);
    await tx.alertRule.delete({ where: { id } });
    return {
      result: { deleted: id },
      audit: { action: "alertRule.delete", targetType: "alertRule", targetId: id, before: ruleSnapshot(before) },
    };
  });
}

export const snoozeInput = z.object({
  id: z.string(),
  /** How long no notification goes out for this rule; null ends a snooze. */
  minutes: z
    .number()
    .int("minutes: a whole number")
    .min(1, "minutes: at least 1")
    .max(30 * 1440, "minutes: at most 30 days")
    .nullable(),
});

/** Silences a rule's notifications for a while (it is still evaluated; its history says what was not sent). */
export async function snoozeAlertRule(scope: Scope, raw: z.input<typeof snoozeInput>): Promise<AlertRuleView> {
  requireRole(scope, "admin", "snoozing alert rules");
  const input = parseInput(snoozeInput, raw);
  return audited(scope, async (tx) => {
    const before = await findRule(tx, scope, input.id);
    const until = input.minutes === null ? null : new Date(Date.now() + input.minutes * 60_000);
    const rule = await tx.alertRule.update({ where: { id: before.id }, data: { snoozedUntil: until } });
    return {
      result: toRuleView(rule),
      audit: {
        action: "alertRule.snooze",
        targetType: "alertRule",
        targetId: rule.id,
        before: { snoozedUntil: iso(before.snoozedUntil) },
        after: { snoozedUntil: iso(until) },
      },
    };
  });
}
