import { randomUUID } from "node:crypto";
import type { JobSource, Prisma } from "@/generated/prisma/client";
import { JOB_TYPE_NAMES, jobTypeOf } from "@/inngest/jobs";
import { validationError } from "../../errors";
import type { Scope } from "../../identity";
import { jobStartEventId } from "../outbox/enqueue-event";
import { parseInput } from "../validate";
import { assertBelowActiveLimit } from "./active-limit";
import { type CreateJobInput, createJobInput } from "./inputs";
import { runJobCommand } from "./job-command";
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

/** Lower-cased payload text, for "text found in the payload" filters. */
export const searchTextOf = (payload: unknown) => JSON.stringify(payload).toLowerCase();

/**
 * Creates a job and its start event in one transaction, then relays the event at once. If Inngest cannot be
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

  const outcome = await runJobCommand(scope, async (tx, emit) => {
    if (idempotencyKey) {
      const existing = await tx.job.findUnique({ where: { orgId_idempotencyKey: { orgId: scope.orgId, idempotencyKey } } });
      if (existing) return { job: existing, created: false };
    }
    await assertBelowActiveLimit(tx, scope.orgId);
    const id = randomUUID();
    const eventId = jobStartEventId(id, 1);
    const job = await tx.job.create({
      data: {
        id,
        orgId: scope.orgId,
        createdBy: scope.userId,
        type: def.type,
        priority: input.priority,
        payload: payload as Prisma.InputJsonValue,
        searchText: searchTextOf(payload),
        idempotencyKey: idempotencyKey ?? null,
        source,
        attempt: 1,
        eventId,
      },
    });
    await emit({
      id: eventId,
      jobId: id,
      name: def.eventName,
      data: def.toEventData(payload, { id, orgId: scope.orgId, createdBy: scope.userId, priority: input.priority, attempt: 1 }),
    });
    return { job, created: true };
  });
  return { job: toJobView(outcome.job), created: outcome.created };
}
