import { env } from "@/env";
import { type AlertRule, Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import { aggregateQueueStats } from "../stats/aggregate-queue-stats";

/**
 * Evaluates every enabled alert rule (the evaluate-alerts cron, every minute) on counts PostgreSQL keeps: the
 * per-minute queue statistics (refreshed for the last two minutes first, so a failure a moment ago counts), the job
 * counts, and index probes for the oldest queued and the silent jobs. A rule whose condition starts to hold goes
 * FIRING and one whose condition stops holding goes back to OK, each change one AlertEvent (one notification, never
 * one per job); the guarded update makes two evaluators at once record a change once.
 */

/** The installation-wide rule ALERT_WEBHOOK_URL stands for: any failed job, any organization, told to that URL. */
export const INSTALLATION = "*";
const INSTALLATION_RULE = {
  name: "Failed jobs (ALERT_WEBHOOK_URL)",
  kind: "FAILURES",
  threshold: 1,
  windowMinutes: 5,
  channel: "SLACK",
} as const;

/** Keeps the installation-wide rule in step with ALERT_WEBHOOK_URL: made when it is set, removed when it is not. */
export async function syncInstallationRule(): Promise<void> {
  const url = env().ALERT_WEBHOOK_URL;
  const existing = await db().alertRule.findFirst({ where: { orgId: INSTALLATION } });
  if (!url) {
    if (existing) await db().alertRule.delete({ where: { id: existing.id } });
    return;
  }
  if (!existing) await db().alertRule.create({ data: { ...INSTALLATION_RULE, orgId: INSTALLATION, target: url, createdBy: "system:env" } });
  else if (existing.target !== url) await db().alertRule.update({ where: { id: existing.id }, data: { target: url } });
}

const scopeSql = (rule: AlertRule, column = Prisma.sql`"orgId"`) =>
  Prisma.join(
    [
      rule.orgId === INSTALLATION ? Prisma.sql`TRUE` : Prisma.sql`${column} = ${rule.orgId}`,
      rule.jobType ? Prisma.sql`"type" = ${rule.jobType}` : Prisma.sql`TRUE`,
    ],
    " AND ",
  );

/** The rule's measure now: a percentage, a count or seconds (see THRESHOLD_UNIT). */
export async function measure(rule: AlertRule, now: Date): Promise<number> {
  const since = new Date(now.getTime() - rule.windowMinutes * 60_000);
  switch (rule.kind) {
    case "FAILURE_RATE":
    case "FAILURES": {
      const rows = await db().$queryRaw<Array<{ failed: number; finished: number }>>`
        SELECT coalesce(sum("failed"), 0)::int AS failed, coalesce(sum("failed" + "completed"), 0)::int AS finished
          FROM "QueueStat" WHERE "minute" >= date_trunc('minute', ${since}::timestamptz AT TIME ZONE 'UTC') AND ${scopeSql(rule)}`;
      const { failed = 0, finished = 0 } = rows[0] ?? {};
      if (rule.kind === "FAILURES") return failed;
      return finished === 0 ? 0 : Math.round((failed / finished) * 1000) / 10;
    }
    case "BACKLOG": {
      const rows =
        rule.orgId === INSTALLATION
          ? await db().$queryRaw<Array<{ n: number }>>`
              SELECT coalesce(sum("value"), 0)::int AS n FROM "JobMetric" WHERE "name" = 'jobs' AND "label" = 'QUEUED'
                AND ${rule.jobType ? Prisma.sql`"type" = ${rule.jobType}` : Prisma.sql`TRUE`}`
          : await db().$queryRaw<Array<{ n: number }>>`
              SELECT coalesce(sum("count"), 0)::int AS n FROM "JobCount" WHERE "orgId" = ${rule.orgId} AND "bucket" = 'QUEUED'
                AND ${rule.jobType ? Prisma.sql`"type" = ${rule.jobType}` : Prisma.sql`TRUE`}`;
      return rows[0]?.n ?? 0;
    }
    case "OLDEST_QUEUED": {
      const rows = await db().$queryRaw<Array<{ age: number | null }>>`
        SELECT extract(epoch FROM ${now}::timestamptz - min("createdAt" AT TIME ZONE 'UTC'))::float8 AS age
          FROM "Job" WHERE "status" = 'QUEUED' AND ${scopeSql(rule)}`;
      return Math.max(0, Math.round(rows[0]?.age ?? 0));
    }
    case "STUCK": {
      // Running jobs silent for longer than the threshold; the rule fires while there is at least one.
      const cutoff = new Date(now.getTime() - rule.threshold * 1000);
      const rows = await db().$queryRaw<Array<{ n: number }>>`
        SELECT count(*)::int AS n FROM "Job"
         WHERE "status" = 'RUNNING' AND "heartbeatAt" < (${cutoff}::timestamptz AT TIME ZONE 'UTC') AND ${scopeSql(rule)}`;
      return rows[0]?.n ?? 0;
    }
  }
}

/** Whether the measure breaks the rule. */
export const breaks = (rule: Pick<AlertRule, "kind" | "threshold">, value: number): boolean =>
  rule.kind === "STUCK"
    ? value >= 1
    : rule.kind === "FAILURES" || rule.kind === "BACKLOG"
      ? value >= rule.threshold
      : value > rule.threshold;

function describe(rule: AlertRule, value: number, firing: boolean): string {
  const what = rule.jobType ? `${rule.jobType} jobs` : "jobs";
  const measured: Record<AlertRule["kind"], string> = {
    FAILURE_RATE: `${value}% of ${what} failed in the last ${rule.windowMinutes} min (threshold ${rule.threshold}%)`,
    FAILURES: `${value} ${what} failed in the last ${rule.windowMinutes} min (threshold ${rule.threshold})`,
    BACKLOG: `${value} ${what} queued (threshold ${rule.threshold})`,
    OLDEST_QUEUED: `the oldest queued of the ${what} has waited ${value} s (threshold ${rule.threshold} s)`,
    STUCK: `${value} running ${what} silent for more than ${rule.threshold} s`,
  };
  return `${firing ? "FIRING" : "RESOLVED"}: ${rule.name}: ${measured[rule.kind]}`;
}

/** Rules evaluated per run: far more than an installation has, so one run sees them all. */
const MAX_RULES = 10_000;

/** Evaluates every enabled rule; returns the alert events it recorded (each to be notified once). */
export async function evaluateAlerts(now = new Date()): Promise<bigint[]> {
  await syncInstallationRule();
  const minute = Math.floor(now.getTime() / 60_000) * 60_000;
  await aggregateQueueStats({ from: new Date(minute - 60_000), to: now });
  const rules = await db().alertRule.findMany({ where: { enabled: true }, orderBy: { id: "asc" }, take: MAX_RULES });
  const recorded: bigint[] = [];
  for (const rule of rules) {
    const value = await measure(rule, now);
    const firing = breaks(rule, value);
    const changes = firing !== (rule.state === "FIRING");
    const snoozed = rule.snoozedUntil !== null && rule.snoozedUntil > now;
    const id = await db().$transaction(async (tx) => {
      const moved = await tx.alertRule.updateMany({
        where: { id: rule.id, state: rule.state },
        data: {
          lastValue: value,
          lastEvaluatedAt: now,
          ...(changes ? { state: firing ? "FIRING" : "OK", firingSince: firing ? now : null } : {}),
        },
      });
      if (!changes || moved.count === 0) return null;
      const event = await tx.alertEvent.create({
        data: {
          ruleId: rule.id,
          orgId: rule.orgId,
          ruleName: rule.name,
          kind: firing ? "FIRING" : "RESOLVED",
          at: now,
          value,
          threshold: rule.threshold,
          message: describe(rule, value, firing),
          snoozed,
        },
      });
      return event.id;
    });
    if (id !== null && !snoozed) recorded.push(id);
  }
  return recorded;
}
