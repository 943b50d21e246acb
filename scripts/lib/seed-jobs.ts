import type pg from "pg";

/**
 * Generates an organization's job history in PostgreSQL itself (generate_series), for the data benchmark
 * (bench/data) and the plan tests: `count` jobs spread evenly over `days` up to now, five job types, payloads of
 * 200–2,000 bytes, ~1% FAILED (half of them acknowledged), ~1% CANCELLED, a few QUEUED/RUNNING/WAITING, the rest
 * COMPLETED, and `stepsPerJob` step rows each. One statement per table, so the count trigger runs once per batch.
 * Job number `rareAt` (if given) carries the word "zanzibar", which no other payload has. Each job names a run id
 * shaped as the engine's (scripts/lib/seed-engine.ts makes those runs, their events and log lines).
 */
export interface SeedOptions {
  orgId: string;
  count: number;
  days: number;
  /** The newest job is this many days old (0: now), so a history can be grown backwards in stages. */
  endDaysAgo?: number;
  stepsPerJob?: number;
  rareAt?: number;
  /** Rows per INSERT: bounds the memory of one statement's transition table. */
  batch?: number;
}

const TYPES = ["demo-task", "render-report", "send-welcome-email", "deliver-webhook", "generate-content"];

export async function seedJobs(client: pg.ClientBase, o: SeedOptions): Promise<void> {
  const batch = o.batch ?? 100_000;
  for (let from = 1; from <= o.count; from += batch) {
    const to = Math.min(o.count, from + batch - 1);
    await client.query(
      `INSERT INTO "Job" ("id", "orgId", "createdBy", "type", "status", "payload", "source", "attempt", "eventId", "runId",
         "createdAt", "updatedAt", "startedAt", "finishedAt", "heartbeatAt", "failureAcknowledgedAt", "stepsCompleted")
       SELECT gen_random_uuid(), $1, 'seed', ($5::text[])[1 + i % 5], s.status::"JobStatus",
         jsonb_build_object('taskId', 'task-' || i, 'customer', 'cust-' || (i % 997),
           'note', CASE WHEN i = $6 THEN 'shipment to zanzibar ' ELSE '' END || repeat(md5(i::text), 5 + i % 55)),
         'API', 1, 'seed-' || i,
         -- A run id as the engine makes them (26 characters that sort by creation time), unique across organizations.
         upper(lpad(to_hex((extract(epoch FROM t.at) * 1000)::bigint), 12, '0') || left(md5($1 || ':' || i), 14)),
         t.at, t.at, t.at + interval '1 second',
         CASE WHEN s.status IN ('COMPLETED', 'FAILED', 'CANCELLED') THEN t.at + interval '3 seconds' END,
         t.at + interval '2 seconds',
         CASE WHEN s.status = 'FAILED' AND i % 200 = 0 THEN t.at + interval '1 hour' END,
         CASE WHEN s.status = 'COMPLETED' THEN $7 ELSE 0 END
       FROM generate_series($2::int, $3::int) AS i,
         LATERAL (SELECT now() - ($9::float8 + (($4::int - i)::float8 / $4::int) * $8::float8) * interval '1 day' AS at) AS t,
         LATERAL (SELECT CASE WHEN i % 100 = 0 THEN 'FAILED' WHEN i % 100 = 1 THEN 'CANCELLED'
           WHEN i % 1000 = 2 THEN 'QUEUED' WHEN i % 1000 = 3 THEN 'RUNNING' WHEN i % 1000 = 4 THEN 'WAITING'
           ELSE 'COMPLETED' END AS status) AS s`,
      [o.orgId, from, to, o.count, TYPES, o.rareAt ?? -1, o.stepsPerJob ?? 0, o.days, o.endDaysAgo ?? 0],
    );
  }
  if (!o.stepsPerJob) return;
  await client.query(
    `INSERT INTO "JobStep" ("id", "jobId", "name", "kind", "status", "runId", "attempt", "startedAt", "finishedAt", "durationMs", "output")
     SELECT gen_random_uuid(), j."id", 'step-' || n, 'RUN', 'COMPLETED', j."runId", 1, j."startedAt" + n * interval '100 ms',
       j."startedAt" + n * interval '100 ms' + interval '50 ms', 50, jsonb_build_object('n', n)
     FROM "Job" j, generate_series(1, $2::int) AS n WHERE j."orgId" = $1 AND j."createdBy" = 'seed'
       AND NOT EXISTS (SELECT 1 FROM "JobStep" s WHERE s."jobId" = j."id")`,
    [o.orgId, o.stepsPerJob],
  );
}
