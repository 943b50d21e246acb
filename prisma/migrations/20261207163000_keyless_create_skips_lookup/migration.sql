-- A job without an idempotency key no longer looks one up: both create functions only search "Job" for the key when
-- there is one (the same functions as 20261207093000_job_tags otherwise).
--
-- Why: the functions' plans are cached per connection. A plan made while "Job" was nearly empty (a new database, before
-- its first ANALYZE) found the key through the (orgId, type, status, createdAt) index, filtering every job of the
-- organization: measured under bench:stack, ~900 buffers per create at 1,000 jobs, growing with the organization, all
-- of it under the organization's lock. A NULL key can never match, so the search is skipped outright; with a key the
-- unique index answers it.
--
-- The single create also returns the new job's "createdAt", so the caller can answer with the job as created without
-- reading it back (a round trip and a transaction per create). A new result column needs the function made again.

DROP FUNCTION jobdeck_create_job(text, text, uuid, text, integer, jsonb, text, "JobSource", text, text, jsonb, bigint, text[], uuid, text[]);

CREATE FUNCTION jobdeck_create_job(
  p_org text, p_user text, p_id uuid, p_type text, p_priority integer, p_payload jsonb, p_key text,
  p_source "JobSource", p_event_id text, p_event_name text, p_event_data jsonb, p_max bigint, p_active text[],
  p_replay_of uuid DEFAULT NULL, p_tags text[] DEFAULT '{}'
) RETURNS TABLE (created text, existing text, active bigint, max_pending bigint, created_at timestamp(3))
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_max bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('jobdeck-org:' || p_org));
  SELECT coalesce((SELECT p."maxPendingJobs" FROM "OrgPlan" p WHERE p."orgId" = p_org), p_max) INTO v_max;
  RETURN QUERY
  WITH found AS (
    SELECT j."id" FROM "Job" j WHERE p_key IS NOT NULL AND j."orgId" = p_org AND j."idempotencyKey" = p_key
  ), counted AS (
    SELECT coalesce(sum(c."count"), 0)::bigint AS n FROM "JobCount" c WHERE c."orgId" = p_org AND c."bucket" = ANY(p_active)
  ), job AS (
    INSERT INTO "Job" ("id", "orgId", "createdBy", "type", "priority", "payload", "idempotencyKey", "source", "attempt", "eventId", "replayOfId", "tags", "updatedAt")
    SELECT p_id, p_org, p_user, p_type, p_priority, p_payload, p_key, p_source, 1, p_event_id, p_replay_of, coalesce(p_tags, '{}'), now()
    WHERE NOT EXISTS (SELECT 1 FROM found) AND (SELECT n FROM counted) < v_max
    ON CONFLICT ("orgId", "idempotencyKey") DO NOTHING
    RETURNING "Job"."id", "Job"."createdAt"
  ), event AS (
    INSERT INTO "OutboxEvent" ("id", "jobId", "name", "data")
    SELECT p_event_id, job."id", p_event_name, p_event_data FROM job
  )
  SELECT (SELECT job."id"::text FROM job), (SELECT found."id"::text FROM found), (SELECT n FROM counted), v_max,
    (SELECT job."createdAt" FROM job);
END
$$;

CREATE OR REPLACE FUNCTION jobdeck_create_jobs(
  p_org text, p_user text, p_source "JobSource", p_max bigint, p_active text[], p_jobs jsonb
) RETURNS TABLE (idx integer, created text, existing text, active bigint, max_pending bigint)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  v_max bigint;
  v_active bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('jobdeck-org:' || p_org));
  SELECT coalesce((SELECT p."maxPendingJobs" FROM "OrgPlan" p WHERE p."orgId" = p_org), p_max) INTO v_max;
  SELECT coalesce(sum(c."count"), 0)::bigint INTO v_active FROM "JobCount" c WHERE c."orgId" = p_org AND c."bucket" = ANY(p_active);
  RETURN QUERY
  WITH items AS (
    SELECT (i.ord - 1)::integer AS idx, (i.j->>'id')::uuid AS id, i.j->>'type' AS type, (i.j->>'priority')::integer AS priority,
           i.j->'payload' AS payload, i.j->>'key' AS key, i.j->>'eventId' AS event_id, i.j->>'eventName' AS event_name,
           i.j->'eventData' AS event_data, found."id" AS existing,
           ARRAY(SELECT jsonb_array_elements_text(coalesce(i.j->'tags', '[]'::jsonb))) AS tags
      FROM jsonb_array_elements(p_jobs) WITH ORDINALITY AS i(j, ord)
      LEFT JOIN LATERAL (
        SELECT f."id" FROM "Job" f WHERE i.j->>'key' IS NOT NULL AND f."orgId" = p_org AND f."idempotencyKey" = i.j->>'key'
      ) found ON true
  ), fits AS (
    SELECT v_active + count(*) FILTER (WHERE existing IS NULL) <= v_max AS ok FROM items
  ), job AS (
    INSERT INTO "Job" ("id", "orgId", "createdBy", "type", "priority", "payload", "idempotencyKey", "source", "attempt", "eventId", "tags", "updatedAt")
    SELECT it.id, p_org, p_user, it.type, it.priority, it.payload, it.key, p_source, 1, it.event_id, it.tags, now()
      FROM items it WHERE it.existing IS NULL AND (SELECT ok FROM fits) ORDER BY it.idx
    RETURNING "Job"."id"
  ), event AS (
    INSERT INTO "OutboxEvent" ("id", "jobId", "name", "data")
    SELECT it.event_id, job."id", it.event_name, it.event_data FROM items it JOIN job ON job."id" = it.id
  )
  SELECT it.idx, CASE WHEN it.existing IS NULL AND (SELECT ok FROM fits) THEN it.id::text END, it.existing::text, v_active, v_max
    FROM items it ORDER BY it.idx;
END
$$;
