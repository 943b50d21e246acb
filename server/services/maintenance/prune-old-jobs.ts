import { env } from "@/env";
import { Prisma } from "@/generated/prisma/client";
import type { JobStatus } from "@/generated/prisma/enums";
import { db } from "../../db";
import { utc } from "../jobs/job-query";

const DAY = 86_400_000;

export interface PruneBatch {
  deleted: number;
  /** More rows of this kind are past retention: run another batch. */
  more: boolean;
}

/**
 * Finished jobs of these statuses that ended before `before`, oldest first: one ordered (status, finishedAt) index
 * range each, so a batch reads only the rows it deletes however many are due.
 */
export function pruneCandidates(statuses: readonly JobStatus[], before: Date, limit: number): Prisma.Sql {
  const ranges = statuses.map(
    (s) =>
      Prisma.sql`(SELECT "id"::text AS id FROM "Job" WHERE "status" = ${s}::"JobStatus" AND "finishedAt" < ${utc(before)} ORDER BY "finishedAt" LIMIT ${limit})`,
  );
  return Prisma.sql`SELECT id FROM (${Prisma.join(ranges, " UNION ALL ")}) AS due LIMIT ${limit}`;
}

/**
 * Deletes up to `limit` finished jobs past retention (their steps and outbox rows go with them): COMPLETED after
 * RETENTION_COMPLETED_DAYS, FAILED and CANCELLED after RETENTION_FAILED_DAYS. Small batches keep each
 * transaction short, which matters on the single-backend embedded database.
 */
export async function pruneJobsBatch(kind: "completed" | "failed", limit = 500, now = new Date()): Promise<PruneBatch> {
  const e = env();
  const days = kind === "completed" ? e.RETENTION_COMPLETED_DAYS : e.RETENTION_FAILED_DAYS;
  const statuses = kind === "completed" ? (["COMPLETED"] as const) : (["FAILED", "CANCELLED"] as const);
  const before = new Date(now.getTime() - days * DAY);
  const ids = await db().$queryRaw<Array<{ id: string }>>(pruneCandidates(statuses, before, limit + 1));
  const batch = ids.slice(0, limit).map((j) => j.id);
  if (!batch.length) return { deleted: 0, more: false };
  const { count } = await db().job.deleteMany({ where: { id: { in: batch } } });
  return { deleted: count, more: ids.length > limit };
}

/**
 * Housekeeping beside jobs: relayed outbox events after a week; queue statistics, and the log lines of runs without a
 * job (a job's lines go with the job), after the failure retention.
 */
export async function pruneAuxiliary(
  now = new Date(),
): Promise<{ outbox: number; queueStats: number; logLines: number; auditEvents: number }> {
  const retained = new Date(now.getTime() - env().RETENTION_FAILED_DAYS * DAY);
  const [outbox, stats, logs, audit] = await Promise.all([
    db().outboxEvent.deleteMany({ where: { sentAt: { lt: new Date(now.getTime() - 7 * DAY) } } }),
    db().queueStat.deleteMany({ where: { minute: { lt: retained } } }),
    db().stepLog.deleteMany({ where: { jobId: null, at: { lt: retained } } }),
    // The audit trail has its own retention (a year by default): often kept longer than the jobs it speaks of.
    db().auditEvent.deleteMany({ where: { at: { lt: new Date(now.getTime() - env().AUDIT_RETENTION_DAYS * DAY) } } }),
  ]);
  return { outbox: outbox.count, queueStats: stats.count, logLines: logs.count, auditEvents: audit.count };
}
