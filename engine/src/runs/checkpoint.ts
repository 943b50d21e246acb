import type { Op } from "../protocol/response.js";
import { ENDED } from "../types.js";
import { Unit } from "../unit.js";
import { opTiming, recordStepRun } from "./ops.js";
import type { RunSystems } from "./systems.js";

/**
 * `POST /v1/checkpoint/:runId/async`: steps the SDK ran inside the request for queue item `qiId`. They are
 * memoized and committed before the SDK is told to go on, exactly as if each had come back in a 206.
 * Returns false (answered 409, "stale dispatch") when that request is no longer the run's current one.
 */
export async function checkpoint(sys: RunSystems, runId: string, qiId: string, ops: Op[]): Promise<boolean> {
  const { ctx } = sys;
  const run = ctx.runs.get(runId);
  const item = ctx.scheduler.get(qiId);
  if (!run || ENDED.has(run.status) || !item || item.runId !== runId || ctx.scheduler.whereIs(item)?.place !== "inflight") return false;
  const u = new Unit();
  const now = ctx.clock.now();
  const received = performance.now();
  for (const op of ops) {
    if (op.op !== "StepRun" && op.op !== "Step") continue;
    const timing = opTiming(op);
    const stepName = op.displayName ?? op.name ?? op.userland?.id;
    recordStepRun(sys, run, op, {
      runId,
      kind: "step",
      stepHash: op.id,
      stepName,
      attempt: 0,
      startedAt: timing?.a ?? now,
      endedAt: timing?.b ?? now,
    });
  }
  ctx.journal.saveRun(run);
  await u.commit(ctx.journal);
  // Inside a checkpointing request the SDK waits for this answer before its next step.
  ctx.stats.latency.transition.add(performance.now() - received);
  return true;
}
