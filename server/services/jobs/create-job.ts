import { randomUUID } from "node:crypto";
import { env } from "@/env";
import type { JobSource } from "@/generated/prisma/client";
import { ACTIVE, type CreateJobInput, createJobInput, type JobContract, jobContractOf, jobStartEventId } from "@/jobs";
import { db } from "../../db";
import { AppError, validationError } from "../../errors";
import type { Scope } from "../../identity";
import { outboundUrl } from "../../net/outbound";
import type { OutgoingEvent } from "../outbox/enqueue-event";
import { relayOutbox } from "../outbox/relay-outbox";
import { parseInput } from "../validate";
import { activeLimitError } from "./active-limit";
import { type JobView, toJobView } from "./job-view";

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
export async function createJob(
  scope: Scope,
  raw: CreateJobInput,
  source: JobSource,
  /** A replay: the job it replays, named by the new job from the moment it exists (replay-job.ts). */
  opts: { replayOf?: string } = {},
): Promise<CreateJobResult> {
  // One schema for every door: the type picks the payload schema (jobs/registry.ts), so bad fields are named.
  const input = parseInput(createJobInput, raw) as {
    type: string;
    payload: Record<string, unknown>;
    priority: number;
    idempotencyKey?: string;
  };
  const def = jobContractOf(input.type) as JobContract;
  const payload = input.payload;
  assertOutboundUrls(def, payload);
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
    replayOf: opts.replayOf ?? null,
    event: { id: eventId, name: def.eventName, data: event },
  });
  // Read before the relay: the answer describes the job as created (QUEUED), not whatever state a fast engine has
  // moved it to in the meantime.
  const job = await db().job.findUniqueOrThrow({ where: { id: outcome.id } });
  if (outcome.created) await relayOutbox({ ids: [eventId] }).catch(() => undefined);
  return { job: toJobView(job), created: outcome.created };
}

/** The installation's outbound policy on every URL the job will call (the contract checked only its form). */
function assertOutboundUrls(def: JobContract, payload: Record<string, unknown>): void {
  const issues = def.outboundUrls.flatMap((field) => {
    const checked = outboundUrl.safeParse(payload[field]);
    return checked.success ? [] : checked.error.issues.map((i) => ({ path: ["payload", field], message: i.message }));
  });
  if (issues.length) throw validationError(issues, "payload");
}

interface NewJob {
  id: string;
  type: string;
  priority: number;
  payload: Record<string, unknown>;
  idempotencyKey: string | null;
  source: JobSource;
  replayOf: string | null;
  event: OutgoingEvent;
}

/**
 * Inserts the job and its start event in one statement that takes the organization's lock itself
 * (`jobdeck_create_job`, prisma/migrations/20261202060000_create_job_function and 20261202190000_replay_link): the lock is held only while the
 * database works, never across a round trip to this process, and the insert sees every create committed before
 * the lock, so the active-job limit and the idempotency key stay exact under concurrency. Returns the new job, or
 * the existing one the key names; throws 429 at the limit.
 */
async function insertJobOnce(scope: Scope, job: NewJob): Promise<{ id: string; created: boolean }> {
  const max = env().JOBS_MAX_ACTIVE_PER_ORG;
  const rows = await db().$queryRaw<Array<{ created: string | null; existing: string | null; active: bigint }>>`
    SELECT * FROM jobdeck_create_job(${scope.orgId}, ${scope.userId}, ${job.id}::uuid, ${job.type}, ${job.priority}::int,
      ${JSON.stringify(job.payload)}::jsonb, ${job.idempotencyKey}, ${job.source}::"JobSource", ${job.event.id}, ${job.event.name},
      ${JSON.stringify(job.event.data)}::jsonb, ${max}::int8, ${[...ACTIVE]}::text[], ${job.replayOf}::uuid)`;
  const row = rows[0];
  if (row?.created) return { id: row.created, created: true };
  if (row?.existing) return { id: row.existing, created: false };
  if (Number(row?.active ?? 0) >= max) throw activeLimitError(Number(row?.active ?? 0), max);
  throw new AppError("CONFLICT", "a job with this idempotency key was being created at the same moment; send the request again");
}
