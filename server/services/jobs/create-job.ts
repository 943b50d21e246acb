import { randomUUID } from "node:crypto";
import { env } from "@/env";
import type { JobSource } from "@/generated/prisma/client";
import { JOB_TYPE_NAMES, jobTypeOf } from "@/inngest/jobs";
import { db } from "../../db";
import { AppError, validationError } from "../../errors";
import type { Scope } from "../../identity";
import { jobStartEventId, type OutgoingEvent } from "../outbox/enqueue-event";
import { relayOutbox } from "../outbox/relay-outbox";
import { parseInput } from "../validate";
import { activeLimitError } from "./active-limit";
import { type CreateJobInput, createJobInput } from "./inputs";
import { ACTIVE } from "./job-status";
import { type JobView, toJobView } from "./job-view";
import { lockOrganization } from "./org-lock";

export interface CreateJobResult {
  job: JobView;
  /** false when the idempotency key matched an existing job, which is returned instead. */
  created: boolean;
}

/**
 * The largest payload a job may have, as JSON: Inngest's smallest event limit (256 KB on its free plan), so that
 * every job's start event is accepted by every Inngest it may run on, instead of staying QUEUED.
 */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/**
 * Creates a job and its start event in one statement, then relays the event at once. If Inngest cannot be
 * reached the job stays QUEUED with its event in the outbox, and the relay delivers it as soon as Inngest answers.
 */
export async function createJob(scope: Scope, raw: CreateJobInput, source: JobSource): Promise<CreateJobResult> {
  const input = parseInput(createJobInput, raw);
  const def = jobTypeOf(input.type);
  if (!def) {
    throw validationError([{ path: ["type"], message: `unknown job type "${input.type}"; known types: ${JOB_TYPE_NAMES.join(", ")}` }]);
  }
  const payload = parseInput(def.payload, input.payload, "payload") as Record<string, unknown>;
  const bytes = Buffer.byteLength(JSON.stringify(payload));
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw validationError([{ path: ["payload"], message: `${bytes} bytes of JSON; a job's payload may be at most ${MAX_PAYLOAD_BYTES}` }]);
  }
  const idempotencyKey = input.idempotencyKey ?? def.impliedIdempotencyKey?.(payload);
  if (def.requiresIdempotencyKey && !idempotencyKey) {
    throw validationError([
      { path: ["idempotencyKey"], message: `required for ${def.type} jobs, so a repeated request never sends twice` },
    ]);
  }

  const id = randomUUID();
  const eventId = jobStartEventId(id, 1);
  const event = def.toEventData(payload, { id, orgId: scope.orgId, createdBy: scope.userId, priority: input.priority, attempt: 1 });
  const outcome = await insertJobOnce(scope, {
    id,
    type: def.type,
    priority: input.priority,
    payload,
    idempotencyKey: idempotencyKey ?? null,
    source,
    event: { id: eventId, name: def.eventName, data: event },
  });
  if (outcome.created) await relayOutbox({ ids: [eventId] }).catch(() => undefined);
  const job = await db().job.findUniqueOrThrow({ where: { id: outcome.id } });
  return { job: toJobView(job), created: outcome.created };
}

interface NewJob {
  id: string;
  type: string;
  priority: number;
  payload: Record<string, unknown>;
  idempotencyKey: string | null;
  source: JobSource;
  event: OutgoingEvent;
}

/**
 * Inserts the job and its start event in one statement, holding the organization's lock only for that statement
 * and the commit (two statements of one batch transaction, no round trips through application code in between):
 * the statement sees every create committed before the lock, so the active-job limit and the idempotency key
 * stay exact under concurrency. Returns the new job, or the existing one the key names; throws 429 at the limit.
 */
async function insertJobOnce(scope: Scope, job: NewJob): Promise<{ id: string; created: boolean }> {
  const max = env().JOBS_MAX_ACTIVE_PER_ORG;
  const [, rows] = await db().$transaction([
    lockOrganization(db(), scope.orgId),
    db().$queryRaw<Array<{ created: string | null; existing: string | null; active: bigint }>>`
      WITH existing AS (
        SELECT "id" FROM "Job" WHERE "orgId" = ${scope.orgId} AND "idempotencyKey" = ${job.idempotencyKey}
      ), active AS (
        SELECT coalesce(sum("count"), 0) AS n FROM "JobCount" WHERE "orgId" = ${scope.orgId} AND "bucket" = ANY(${[...ACTIVE]}::text[])
      ), job AS (
        INSERT INTO "Job" ("id", "orgId", "createdBy", "type", "priority", "payload", "idempotencyKey", "source", "attempt", "eventId", "updatedAt")
        SELECT ${job.id}::uuid, ${scope.orgId}, ${scope.userId}, ${job.type}, ${job.priority}, ${JSON.stringify(job.payload)}::jsonb,
          ${job.idempotencyKey}, ${job.source}::"JobSource", 1, ${job.event.id}, now()
        WHERE NOT EXISTS (SELECT 1 FROM existing) AND (SELECT n FROM active) < ${max}
        ON CONFLICT ("orgId", "idempotencyKey") DO NOTHING
        RETURNING "id"
      ), event AS (
        INSERT INTO "OutboxEvent" ("id", "jobId", "name", "data")
        SELECT ${job.event.id}, "id", ${job.event.name}, ${JSON.stringify(job.event.data)}::jsonb FROM job
      )
      SELECT (SELECT "id"::text FROM job) AS created, (SELECT "id"::text FROM existing) AS existing, (SELECT n FROM active)::int8 AS active`,
  ]);
  const row = rows[0];
  if (row?.created) return { id: row.created, created: true };
  if (row?.existing) return { id: row.existing, created: false };
  if (Number(row?.active ?? 0) >= max) throw activeLimitError(Number(row?.active ?? 0), max);
  throw new AppError("CONFLICT", "a job with this idempotency key was being created at the same moment; send the request again");
}
