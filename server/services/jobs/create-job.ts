import { env } from "@/env";
import { type JobSource, Prisma } from "@/generated/prisma/client";
import { ACTIVE, type CreateJobInput } from "@/jobs";
import { db } from "../../db";
import { directQuery } from "../../db-direct";
import { AppError } from "../../errors";
import { requireRole, type Scope } from "../../identity";
import { AUDIT_COLUMNS, auditSelectSql } from "../audit/record-audit";
import { relayNow } from "../outbox/relay-now";
import { activeLimitError } from "./active-limit";
import { type JobView, toJobView } from "./job-view";
import { type PreparedJob, prepareJobOrThrow } from "./prepare-job";

export interface CreateJobResult {
  job: JobView;
  /** false when the idempotency key matched an existing job, which is returned instead. */
  created: boolean;
}

export { MAX_PAYLOAD_BYTES } from "./prepare-job";

/**
 * Creates a job and its start event in one statement, then relays the event at once (together with the events of
 * creates running at the same moment: relay-now.ts). If Inngest cannot be reached the job stays QUEUED with its
 * event in the outbox, and the relay delivers it as soon as Inngest answers.
 */
export async function createJob(
  scope: Scope,
  raw: CreateJobInput,
  source: JobSource,
  opts: {
    /** A replay: the job it replays, named by the new job from the moment it exists (replay-job.ts). */
    replayOf?: string;
    /** The audit row the create writes (job.create by default); false when the caller records the action itself. */
    audit?: { action: string; targetId?: string } | false;
  } = {},
): Promise<CreateJobResult> {
  requireRole(scope, "member", "creating a job");
  const job = prepareJobOrThrow(scope, raw);
  const outcome = await insertJobOnce(scope, { ...job, source, replayOf: opts.replayOf ?? null }, opts.audit ?? { action: "job.create" });
  // The answer describes the job as created (QUEUED), not whatever state a fast engine has moved it to once its event
  // is relayed: a new job is the row the statement just wrote, an existing one is read first.
  if (outcome.createdAt) {
    await relayNow([job.event.id]);
    return { job: newJobView(scope, { ...job, source, replayOf: opts.replayOf ?? null }, outcome.createdAt), created: true };
  }
  return { job: toJobView(await db().job.findUniqueOrThrow({ where: { id: outcome.id } })), created: false };
}

/**
 * The row `jobdeck_create_job` inserted, as its view, without reading it back (a round trip and a transaction per
 * create): what the statement wrote, the columns' defaults, and its time. tests/integration/job-service.test.ts
 * checks it against the row read back, so a new column with a default cannot drift from it unseen.
 */
function newJobView(scope: Scope, job: NewJob, createdAt: Date): JobView {
  const at = createdAt.toISOString();
  return {
    id: job.id,
    type: job.type,
    status: "QUEUED",
    priority: job.priority,
    payload: job.payload,
    result: null,
    error: null,
    idempotencyKey: job.idempotencyKey,
    tags: job.tags,
    source: job.source,
    createdBy: scope.userId,
    runId: null,
    replayOfId: job.replayOf,
    attempt: 1,
    stepsCompleted: 0,
    createdAt: at,
    updatedAt: at,
    startedAt: null,
    queuedAt: null,
    finishedAt: null,
    heartbeatAt: null,
    cancelRequestedAt: null,
    failureAcknowledgedAt: null,
    durationMs: null,
  };
}

interface NewJob extends PreparedJob {
  source: JobSource;
  replayOf: string | null;
}

/**
 * Inserts the job and its start event in one statement that takes the organization's lock itself
 * (`jobdeck_create_job`, prisma/migrations/20261202060000_create_job_function, 20261202190000_replay_link,
 * 20261207093000_job_tags and 20261207163000_keyless_create_skips_lookup): the lock is held only while the
 * database works, never across a round trip to this process, and the insert sees every create committed before
 * the lock, so the active-job limit and the idempotency key stay exact under concurrency. Returns the new job, or
 * the existing one the key names; throws 429 at the limit.
 */
async function insertJobOnce(
  scope: Scope,
  job: NewJob,
  audit: { action: string; targetId?: string } | false,
): Promise<{ id: string; createdAt: Date | null }> {
  const max = env().JOBS_MAX_ACTIVE_PER_ORG;
  // The new job's time as UTC text: pg would read a timestamp without a zone in this process's time zone.
  const create = Prisma.sql`SELECT created, existing, active, max_pending, to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at
    FROM jobdeck_create_job(${scope.orgId}, ${scope.userId}, ${job.id}::uuid, ${job.type}, ${job.priority}::int,
      ${JSON.stringify(job.payload)}::jsonb, ${job.idempotencyKey}, ${job.source}::"JobSource", ${job.event.id}, ${job.event.name},
      ${JSON.stringify(job.event.data)}::jsonb, ${max}::int8, ${[...ACTIVE]}::text[], ${job.replayOf}::uuid,
      ${job.tags}::text[])`;
  // The audit row is written by the same statement, only when it made the job: one round trip, all or nothing.
  const statement = audit
    ? Prisma.sql`WITH made AS (${create}),
        logged AS (INSERT INTO "AuditEvent" ${AUDIT_COLUMNS}
          SELECT ${auditSelectSql(
            scope,
            { action: audit.action, targetType: "job" },
            audit.targetId ? Prisma.sql`${audit.targetId}` : Prisma.sql`made.created::text`,
            Prisma.sql`jsonb_build_object('jobId', made.created, 'type', ${job.type}::text, 'priority', ${job.priority}::int,
              'idempotencyKey', ${job.idempotencyKey}::text, 'source', ${job.source}::text)`,
          )} FROM made WHERE made.created IS NOT NULL)
      SELECT * FROM made`
    : create;
  // On the direct pool: every create runs it, and the Prisma client's own work per query showed in its CPU profile.
  const rows = await directQuery<{
    created: string | null;
    existing: string | null;
    active: bigint | string;
    max_pending: bigint | string;
    created_at: string | null;
  }>(statement);
  const row = rows[0];
  if (row?.created) return { id: row.created, createdAt: new Date(row.created_at as string) };
  if (row?.existing) return { id: row.existing, createdAt: null };
  const limit = Number(row?.max_pending ?? max);
  if (Number(row?.active ?? 0) >= limit) throw activeLimitError(Number(row?.active ?? 0), limit);
  throw new AppError("CONFLICT", "a job with this idempotency key was being created at the same moment; send the request again");
}
