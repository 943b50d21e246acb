-- DropIndex
DROP INDEX "Job_orgId_createdAt_idx";

-- DropIndex
DROP INDEX "Job_orgId_failureAcknowledgedAt_status_idx";

-- DropIndex
DROP INDEX "Job_orgId_status_createdAt_idx";

-- DropIndex
DROP INDEX "Job_orgId_type_createdAt_idx";

-- AlterTable
ALTER TABLE "Job" DROP COLUMN "searchText",
-- The payload's words, lower-cased by the 'simple' configuration (no stemming, no stop words: ids and codes are
-- found as written). Generated, so every writer keeps it right; the GIN index below makes a word a lookup.
ADD COLUMN     "searchVector" tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, "payload"::text)) STORED;

-- CreateTable
CREATE TABLE "JobCount" (
    "orgId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "bucket" TEXT NOT NULL,
    "slot" INTEGER NOT NULL,
    "count" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "JobCount_pkey" PRIMARY KEY ("orgId","bucket","type","slot")
);

-- CreateIndex
CREATE INDEX "Job_orgId_createdAt_id_idx" ON "Job"("orgId", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Job_orgId_status_createdAt_id_idx" ON "Job"("orgId", "status", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Job_orgId_type_status_createdAt_id_idx" ON "Job"("orgId", "type", "status", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Job_status_finishedAt_idx" ON "Job"("status", "finishedAt");

-- CreateIndex
CREATE INDEX "Job_createdAt_idx" ON "Job"("createdAt");

-- CreateIndex
CREATE INDEX "Job_startedAt_idx" ON "Job"("startedAt");

-- CreateIndex
CREATE INDEX "OutboxEvent_jobId_idx" ON "OutboxEvent"("jobId");

-- What Prisma's schema language cannot say (schema.prisma points here).

-- Payload search: a word or word prefix is a GIN lookup, not a scan of the organization's payloads.
CREATE INDEX "Job_searchVector_idx" ON "Job" USING gin ("searchVector");

-- The failed-jobs badge's list: only unacknowledged failures, newest first.
CREATE INDEX "Job_unacknowledged_failures_idx" ON "Job" ("orgId", "createdAt" DESC, "id" DESC)
  WHERE "status" = 'FAILED' AND "failureAcknowledgedAt" IS NULL;

-- The count buckets one job row is in: its status, and UNACKNOWLEDGED while it is a failure nobody acknowledged.
CREATE FUNCTION "jobdeck_job_buckets"(status "JobStatus", acknowledged_at TIMESTAMP(3))
RETURNS TABLE (bucket TEXT) LANGUAGE sql IMMUTABLE AS $$
  SELECT status::text
  UNION ALL
  SELECT 'UNACKNOWLEDGED' WHERE status = 'FAILED' AND acknowledged_at IS NULL
$$;

-- Adds one statement's changes to "JobCount", in the statement's transaction: +1 for the buckets of each new row
-- version, -1 for those of each old one, +1 CHANGES per row written. Each connection adds to its own slot, and
-- the rows are upserted in key order, so concurrent writers neither queue on one row nor deadlock.
CREATE FUNCTION "jobdeck_count_jobs"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  my_slot INTEGER := pg_backend_pid() % 16;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "JobCount" AS c ("orgId", "type", "bucket", "slot", "count")
    SELECT d."orgId", d."type", d.bucket, my_slot, sum(d.n) FROM (
      SELECT r."orgId", r."type", b.bucket, 1 AS n FROM new_rows r, "jobdeck_job_buckets"(r."status", r."failureAcknowledgedAt") b
      UNION ALL SELECT r."orgId", '', 'CHANGES', 1 FROM new_rows r
    ) d GROUP BY d."orgId", d.bucket, d."type" ORDER BY d."orgId", d.bucket, d."type"
    ON CONFLICT ("orgId", "bucket", "type", "slot") DO UPDATE SET "count" = c."count" + EXCLUDED."count";
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO "JobCount" AS c ("orgId", "type", "bucket", "slot", "count")
    SELECT d."orgId", d."type", d.bucket, my_slot, sum(d.n) FROM (
      SELECT r."orgId", r."type", b.bucket, -1 AS n FROM old_rows r, "jobdeck_job_buckets"(r."status", r."failureAcknowledgedAt") b
      UNION ALL SELECT r."orgId", '', 'CHANGES', 1 FROM old_rows r
    ) d GROUP BY d."orgId", d.bucket, d."type" ORDER BY d."orgId", d.bucket, d."type"
    ON CONFLICT ("orgId", "bucket", "type", "slot") DO UPDATE SET "count" = c."count" + EXCLUDED."count";
  ELSE
    INSERT INTO "JobCount" AS c ("orgId", "type", "bucket", "slot", "count")
    SELECT d."orgId", d."type", d.bucket, my_slot, sum(d.n) FROM (
      SELECT r."orgId", r."type", b.bucket, 1 AS n FROM new_rows r, "jobdeck_job_buckets"(r."status", r."failureAcknowledgedAt") b
      UNION ALL SELECT r."orgId", r."type", b.bucket, -1 FROM old_rows r, "jobdeck_job_buckets"(r."status", r."failureAcknowledgedAt") b
      UNION ALL SELECT r."orgId", '', 'CHANGES', 1 FROM new_rows r
    ) d GROUP BY d."orgId", d.bucket, d."type" HAVING sum(d.n) <> 0 ORDER BY d."orgId", d.bucket, d."type"
    ON CONFLICT ("orgId", "bucket", "type", "slot") DO UPDATE SET "count" = c."count" + EXCLUDED."count";
  END IF;
  RETURN NULL;
END
$$;

-- TRUNCATE leaves no jobs, so no counts.
CREATE FUNCTION "jobdeck_forget_job_counts"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "JobCount";
  RETURN NULL;
END
$$;

-- The jobs already there, counted once (slot 0), before the triggers count every later change.
INSERT INTO "JobCount" ("orgId", "type", "bucket", "slot", "count")
SELECT j."orgId", j."type", b.bucket, 0, count(*) FROM "Job" j, "jobdeck_job_buckets"(j."status", j."failureAcknowledgedAt") b
  GROUP BY j."orgId", j."type", b.bucket
UNION ALL
SELECT j."orgId", '', 'CHANGES', 0, count(*) FROM "Job" j GROUP BY j."orgId";

CREATE TRIGGER "Job_count_inserts" AFTER INSERT ON "Job" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "jobdeck_count_jobs"();
CREATE TRIGGER "Job_count_updates" AFTER UPDATE ON "Job" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "jobdeck_count_jobs"();
CREATE TRIGGER "Job_count_deletes" AFTER DELETE ON "Job" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "jobdeck_count_jobs"();
CREATE TRIGGER "Job_forget_counts" AFTER TRUNCATE ON "Job"
  FOR EACH STATEMENT EXECUTE FUNCTION "jobdeck_forget_job_counts"();
