import type pg from "pg";

/**
 * What the engine and the app's log store hold for an organization's seeded jobs (scripts/lib/seed-jobs.ts), for the
 * data benchmark: each job's start event and its run in the engine's tables (schema `engine`, which the engine
 * creates when it starts), as the engine writes them (the run and event ids are the job's run id, so they sort by
 * time and the runs explorer links them back), and `logLinesPerJob` step log lines. Idempotent: jobs already seeded
 * are skipped. Log line number `rareAt` carries the word "quetzal", which no other line has.
 */
export interface SeedEngineOptions {
  orgId: string;
  logLinesPerJob?: number;
  rareAt?: number;
}

const RUN_STATUS = `CASE j."status" WHEN 'COMPLETED' THEN 'completed' WHEN 'FAILED' THEN 'failed' WHEN 'CANCELLED' THEN 'cancelled'
  WHEN 'QUEUED' THEN 'queued' ELSE 'running' END`;

export async function seedEngine(client: pg.ClientBase, o: SeedEngineOptions): Promise<void> {
  const jobs = `FROM "Job" j, LATERAL (SELECT (extract(epoch FROM j."createdAt") * 1000)::bigint AS ms) AS t
    WHERE j."orgId" = $1 AND j."createdBy" = 'seed' AND j."runId" IS NOT NULL`;
  const data = `jsonb_build_object('orgId', j."orgId", 'jobId', j."id", 'taskId', j."payload"->>'taskId')`;
  await client.query(
    `INSERT INTO engine.events (internal_id, id, name, data, ts, received_at)
     SELECT j."runId", 'jobdeck-' || j."id" || '-start-1', 'jobdeck/' || j."type" || '.requested', ${data}, t.ms, t.ms ${jobs}
     ON CONFLICT (internal_id) DO NOTHING`,
    [o.orgId],
  );
  await client.query(
    `INSERT INTO engine.runs (id, function_slug, status, event_ids, events, created_at, started_at, ended_at, output)
     SELECT j."runId", 'jobdeck-' || j."type", ${RUN_STATUS}, ARRAY[j."runId"],
       jsonb_build_array(jsonb_build_object('name', 'jobdeck/' || j."type" || '.requested', 'data', ${data})),
       t.ms, t.ms + 1000, CASE WHEN j."finishedAt" IS NOT NULL THEN t.ms + 3000 END,
       CASE WHEN j."status" = 'COMPLETED' THEN '{"ok":true}'::jsonb END ${jobs}
     ON CONFLICT (id) DO NOTHING`,
    [o.orgId],
  );
  const lines = o.logLinesPerJob ?? 1;
  if (lines <= 0) return;
  await client.query(
    `INSERT INTO "StepLog" ("orgId", "jobId", "runId", "functionId", "stepName", "attempt", "level", "message", "at")
     SELECT j."orgId", j."id", j."runId", 'jobdeck-' || j."type", 'step-' || n, 1, CASE WHEN j."status" = 'FAILED' THEN 'error' ELSE 'info' END,
       'step-' || n || ': working on ' || (j."payload"->>'taskId') || CASE WHEN j."payload"->>'taskId' = 'task-' || $3 AND n = 1 THEN ' quetzal' ELSE '' END,
       j."startedAt" + n * interval '100 ms'
     FROM "Job" j, generate_series(1, $2::int) AS n
     WHERE j."orgId" = $1 AND j."createdBy" = 'seed' AND j."runId" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "StepLog" l WHERE l."jobId" = j."id")`,
    [o.orgId, lines, o.rareAt ?? -1],
  );
}
