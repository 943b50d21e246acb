-- CreateTable
CREATE TABLE "JobMetric" (
    "type" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "slot" INTEGER NOT NULL,
    "value" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "JobMetric_pkey" PRIMARY KEY ("type","name","label","slot")
);

-- What Prisma's schema language cannot say (schema.prisma points here).

-- The histogram bucket (Prometheus `le`, seconds) a duration falls in: the smallest bound at or above it, or +Inf.
-- Buckets are stored one by one; /api/metrics adds them up into Prometheus's cumulative ones.
CREATE FUNCTION "jobdeck_metric_bucket"(seconds DOUBLE PRECISION, bounds DOUBLE PRECISION[])
RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
  SELECT COALESCE((SELECT min(b)::text FROM unnest(bounds) AS b WHERE b >= seconds), '+Inf')
$$;

-- Adds one statement's changes to "JobMetric", in the statement's transaction, like jobdeck_count_jobs does to
-- "JobCount" (its own slot per connection, rows in key order): jobs per type and status (+1 new row version, -1 old),
-- and, for rows that changed so, a finish by outcome, a retry (a new attempt), the wait from create to first start and
-- the time from start to finish (as histogram buckets plus a sum in milliseconds). Counters never go down: pruning
-- old jobs takes them out of the status gauge only.
CREATE FUNCTION "jobdeck_job_metrics"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  my_slot INTEGER := pg_backend_pid() % 16;
  queue_bounds DOUBLE PRECISION[] := ARRAY[0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
  run_bounds DOUBLE PRECISION[] := ARRAY[0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600];
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "JobMetric" AS m ("type", "name", "label", "slot", "value")
    SELECT r."type", 'jobs', r."status"::text, my_slot, count(*) FROM new_rows r
      GROUP BY r."type", r."status" ORDER BY r."type", r."status"::text
    ON CONFLICT ("type", "name", "label", "slot") DO UPDATE SET "value" = m."value" + EXCLUDED."value";
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "JobMetric" AS m ("type", "name", "label", "slot", "value")
    SELECT r."type", 'jobs', r."status"::text, my_slot, -count(*) FROM old_rows r
      GROUP BY r."type", r."status" ORDER BY r."type", r."status"::text
    ON CONFLICT ("type", "name", "label", "slot") DO UPDATE SET "value" = m."value" + EXCLUDED."value";
  ELSE
    INSERT INTO "JobMetric" AS m ("type", "name", "label", "slot", "value")
    SELECT d."type", d."name", d."label", my_slot, sum(d.n) FROM (
      SELECT n."type", 'jobs' AS "name", n."status"::text AS "label", 1::int8 AS n FROM new_rows n
      UNION ALL SELECT o."type", 'jobs', o."status"::text, -1 FROM old_rows o
      UNION ALL
      SELECT c."type", x."name", x."label", x.n
        FROM old_rows o JOIN new_rows c ON c."id" = o."id",
        LATERAL (
          SELECT 'finished' AS "name", c."status"::text AS "label", 1::int8 AS n
           WHERE c."status" IN ('COMPLETED', 'FAILED', 'CANCELLED') AND c."status" IS DISTINCT FROM o."status"
          UNION ALL SELECT 'retries', '', 1 WHERE c."attempt" > o."attempt"
          UNION ALL SELECT 'queue_le', "jobdeck_metric_bucket"(extract(epoch FROM c."startedAt" - c."createdAt"), queue_bounds), 1
           WHERE o."startedAt" IS NULL AND c."startedAt" IS NOT NULL
          UNION ALL SELECT 'queue_sum_ms', '', GREATEST(0, floor(extract(epoch FROM c."startedAt" - c."createdAt") * 1000))::int8
           WHERE o."startedAt" IS NULL AND c."startedAt" IS NOT NULL
          UNION ALL SELECT 'run_le', c."status"::text || ':' || "jobdeck_metric_bucket"(extract(epoch FROM c."finishedAt" - c."startedAt"), run_bounds), 1
           WHERE c."status" IN ('COMPLETED', 'FAILED', 'CANCELLED') AND c."status" IS DISTINCT FROM o."status"
             AND c."startedAt" IS NOT NULL AND c."finishedAt" IS NOT NULL
          UNION ALL SELECT 'run_sum_ms', c."status"::text, GREATEST(0, floor(extract(epoch FROM c."finishedAt" - c."startedAt") * 1000))::int8
           WHERE c."status" IN ('COMPLETED', 'FAILED', 'CANCELLED') AND c."status" IS DISTINCT FROM o."status"
             AND c."startedAt" IS NOT NULL AND c."finishedAt" IS NOT NULL
        ) AS x
    ) d GROUP BY d."type", d."name", d."label" HAVING sum(d.n) <> 0 ORDER BY d."type", d."name", d."label"
    ON CONFLICT ("type", "name", "label", "slot") DO UPDATE SET "value" = m."value" + EXCLUDED."value";
  END IF;
  RETURN NULL;
END
$$;

-- TRUNCATE leaves no jobs: the status gauge goes to zero; the counters keep what they counted.
CREATE FUNCTION "jobdeck_forget_job_metrics"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "JobMetric" WHERE "name" = 'jobs';
  RETURN NULL;
END
$$;

CREATE TRIGGER "Job_metric_inserts" AFTER INSERT ON "Job" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "jobdeck_job_metrics"();
CREATE TRIGGER "Job_metric_updates" AFTER UPDATE ON "Job" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "jobdeck_job_metrics"();
CREATE TRIGGER "Job_metric_deletes" AFTER DELETE ON "Job" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "jobdeck_job_metrics"();
CREATE TRIGGER "Job_forget_metrics" AFTER TRUNCATE ON "Job"
  FOR EACH STATEMENT EXECUTE FUNCTION "jobdeck_forget_job_metrics"();

-- The jobs already there, counted once (slot 0); the counters and histograms start from this version.
INSERT INTO "JobMetric" ("type", "name", "label", "slot", "value")
SELECT "type", 'jobs', "status"::text, 0, count(*) FROM "Job" GROUP BY "type", "status";

-- The oldest queued job of each type (jobdeck_oldest_queued_job_age_seconds): only queued jobs are in it.
CREATE INDEX "Job_queued_type_createdAt_idx" ON "Job" ("type", "createdAt") WHERE "status" = 'QUEUED';
