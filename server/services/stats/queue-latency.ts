import { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import type { Scope } from "../../identity";
import { utc } from "../jobs/job-query";
import { QUEUED_SINCE } from "./aggregate-queue-stats";

export interface QueueLatency {
  /** Jobs of the organization that started in the window. */
  started: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/**
 * The organization's queue latency over the last `minutes`: the median and 95th percentile over every job that started
 * in the window, each from when its wait began to its start. (Taking the largest of the per-minute medians instead,
 * as the overview once did, reads one slow minute as the whole window's p50 and p95.)
 */
export async function queueLatency(scope: Scope, minutes = 15, now = Date.now()): Promise<QueueLatency> {
  const span = Math.min(Math.max(Math.trunc(minutes), 1), 24 * 60);
  const from = new Date(now - span * 60_000);
  const rows = await db().$queryRaw<Array<{ started: number; p50: number | null; p95: number | null }>>(Prisma.sql`
    SELECT count(*)::int AS started,
           round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lat))::int AS p50,
           round(percentile_cont(0.95) WITHIN GROUP (ORDER BY lat))::int AS p95
      FROM (
        SELECT GREATEST(0, EXTRACT(EPOCH FROM (j."startedAt" - ${QUEUED_SINCE})) * 1000) AS lat
          FROM "Job" j LEFT JOIN "OutboxEvent" o ON o."id" = j."eventId"
         WHERE j."orgId" = ${scope.orgId} AND j."startedAt" >= ${utc(from)}
      ) started`);
  const r = rows[0];
  return { started: r?.started ?? 0, p50Ms: r?.p50 ?? null, p95Ms: r?.p95 ?? null };
}
