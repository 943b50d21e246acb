import { randomUUID } from "node:crypto";
import type { Prisma } from "@/generated/prisma/client";
import type { CreateJobInput } from "@/jobs";
import { db } from "../../db";
import type { Scope } from "../../identity";
import { type CreateJobResult, createJob } from "./create-job";
import { findScopedJob } from "./find-job";

/**
 * Replays a job as a new job of the same type and priority, with the same payload or an edited one (validated by
 * the job type's schema like any new job). The new job names the one it replays; the original is left as it was.
 * The replay gets an idempotency key of its own, since it is meant to run again.
 */
export async function replayJob(
  scope: Scope,
  id: string,
  /**
   * `idempotencyKey`: a bulk replay's own key per job, so two of them at once replay the job once; `audit: false`
   * when the caller records the action itself (a bulk replay is one action).
   */
  opts: { payload?: unknown; idempotencyKey?: string; audit?: false },
): Promise<CreateJobResult> {
  const original = await findScopedJob(db(), scope, id);
  const payload = opts.payload === undefined ? (original.payload as Prisma.JsonObject) : opts.payload;
  const result = await createJob(
    scope,
    // A stored job's type and a payload from the caller: createJob validates both against the catalogue.
    {
      type: original.type,
      payload,
      priority: original.priority,
      // A replay is labelled as its original was.
      tags: original.tags ?? [],
      // Always a key of its own: a key implied by the payload (demo-task's taskId) would find the original again.
      idempotencyKey: opts.idempotencyKey ?? `replay:${original.id}:${randomUUID()}`,
    } as CreateJobInput,
    "UI",
    { replayOf: original.id, audit: opts.audit ?? { action: "job.replay", targetId: original.id } },
  );
  return result;
}
