import { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import { utc } from "../jobs/job-query";

/**
 * Rebuilds the per-minute queue statistics of [from, to) from the Job table: per organization and type, jobs
 * created, started, completed and failed in each minute and the p50/p95 queue latency of the jobs that started:
 * from the start event of the attempt that started (a retry's own, not the job's creation; a rerun's own time) to its
 * start. Rows are upserted, so running it again over the same window (a retry, an overlapping
 * schedule) gives the same numbers. Returns the number of (minute, org, type) rows written.
 */
export async function aggregateQueueStats(window: { from: Date; to: Date; orgId?: string }): Promise<number> {
  return db().$executeRaw(queueStatsStatement(window));
}

/**
 * When the job's current wait began: its attempt's own start event (a retry's, not the job's creation), or a rerun
 * from a step, whichever is later. `j` is the job, `o` its start event.
 */
export const QUEUED_SINCE = Prisma.sql`GREATEST(COALESCE(o."createdAt", j."createdAt"), COALESCE(j."queuedAt", j."createdAt"))`;

/** The upsert behind aggregateQueueStats: each window is a range of the createdAt, startedAt or (status, finishedAt) index. */
export function queueStatsStatement(window: { from: Date; to: Date; orgId?: string }): Prisma.Sql {
  const org = window.orgId ? Prisma.sql`AND "orgId" = ${window.orgId}` : Prisma.empty;
  const from = utc(window.from);
  const to = utc(window.to);
  return Prisma.sql`
    WITH ev AS (
      SELECT date_trunc('minute', "createdAt") AS m, "orgId", "type", 1 AS q, 0 AS s, 0 AS c, 0 AS f, NULL::float8 AS lat
        FROM "Job" WHERE "createdAt" >= ${from} AND "createdAt" < ${to} ${org}
      UNION ALL
      SELECT date_trunc('minute', j."startedAt"), j."orgId", j."type", 0, 1, 0, 0,
             GREATEST(0, EXTRACT(EPOCH FROM (j."startedAt" - ${QUEUED_SINCE})) * 1000)
        FROM "Job" j LEFT JOIN "OutboxEvent" o ON o."id" = j."eventId"
       WHERE j."startedAt" >= ${from} AND j."startedAt" < ${to} ${window.orgId ? Prisma.sql`AND j."orgId" = ${window.orgId}` : Prisma.empty}
      UNION ALL
      SELECT date_trunc('minute', "finishedAt"), "orgId", "type", 0, 0, ("status" = 'COMPLETED')::int, ("status" = 'FAILED')::int, NULL
        FROM "Job" WHERE "finishedAt" >= ${from} AND "finishedAt" < ${to} AND "status" IN ('COMPLETED', 'FAILED') ${org}
    )
    INSERT INTO "QueueStat" ("minute", "orgId", "type", "queued", "started", "completed", "failed", "p50LatencyMs", "p95LatencyMs")
    SELECT m, "orgId", "type", sum(q), sum(s), sum(c), sum(f),
           round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lat))::int,
           round(percentile_cont(0.95) WITHIN GROUP (ORDER BY lat))::int
      FROM ev GROUP BY m, "orgId", "type"
    ON CONFLICT ("minute", "orgId", "type") DO UPDATE SET
      "queued" = EXCLUDED."queued", "started" = EXCLUDED."started", "completed" = EXCLUDED."completed",
      "failed" = EXCLUDED."failed", "p50LatencyMs" = EXCLUDED."p50LatencyMs", "p95LatencyMs" = EXCLUDED."p95LatencyMs"`;
}
