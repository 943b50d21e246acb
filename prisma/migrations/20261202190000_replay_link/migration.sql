-- A replayed job names the job it replays in the same statement that creates it (server/services/jobs/replay-job.ts),
-- so a replay is never left without its link; the function gains the parameter, the same in every other respect
-- (see 20261202060000_create_job_function for why creating a job is one function call).
DROP FUNCTION jobdeck_create_job(text, text, uuid, text, integer, jsonb, text, "JobSource", text, text, jsonb, bigint, text[]);

CREATE FUNCTION jobdeck_create_job(
  p_org text, p_user text, p_id uuid, p_type text, p_priority integer, p_payload jsonb, p_key text,
  p_source "JobSource", p_event_id text, p_event_name text, p_event_data jsonb, p_max bigint, p_active text[],
  p_replay_of uuid DEFAULT NULL
) RETURNS TABLE (created text, existing text, active bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('jobdeck-org:' || p_org));
  RETURN QUERY
  WITH found AS (
    SELECT j."id" FROM "Job" j WHERE j."orgId" = p_org AND j."idempotencyKey" = p_key
  ), counted AS (
    SELECT coalesce(sum(c."count"), 0)::bigint AS n FROM "JobCount" c WHERE c."orgId" = p_org AND c."bucket" = ANY(p_active)
  ), job AS (
    INSERT INTO "Job" ("id", "orgId", "createdBy", "type", "priority", "payload", "idempotencyKey", "source", "attempt", "eventId", "replayOfId", "updatedAt")
    SELECT p_id, p_org, p_user, p_type, p_priority, p_payload, p_key, p_source, 1, p_event_id, p_replay_of, now()
    WHERE NOT EXISTS (SELECT 1 FROM found) AND (SELECT n FROM counted) < p_max
    ON CONFLICT ("orgId", "idempotencyKey") DO NOTHING
    RETURNING "Job"."id"
  ), event AS (
    INSERT INTO "OutboxEvent" ("id", "jobId", "name", "data")
    SELECT p_event_id, job."id", p_event_name, p_event_data FROM job
  )
  SELECT (SELECT job."id"::text FROM job), (SELECT found."id"::text FROM found), (SELECT n FROM counted);
END
$$;

-- A job page lists the jobs that replay it on every poll: a partial index holds only the few jobs that are replays,
-- so it costs nothing on the create path of ordinary jobs (Prisma's schema language cannot express it).
CREATE INDEX "Job_replayOfId_idx" ON "Job" ("replayOfId") WHERE "replayOfId" IS NOT NULL;
