import { PayloadTooLargeError } from "../errors.js";
import type { Op } from "../protocol/response.js";
import { ENDED } from "../types.js";
import { Unit } from "../unit.js";
import { abortDefer, addDefer } from "./defers.js";
import { engineFailure } from "./lifecycle.js";
import { MAX_STEPS, oversizedOp, STEP_LIMIT_ERROR, STEP_OUTPUT_TOO_LARGE } from "./limits.js";
import { recordOpMetadata } from "./metadata.js";
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
  // Inngest answers 413 and records nothing (apiv1/checkpoint.go at 253303c); the SDK then sends the buffered
  // steps in its 206 instead, where the same limit fails the request.
  const tooLarge = oversizedOp(ops.filter((op) => op.op === "StepRun" || op.op === "Step"));
  if (tooLarge) throw new PayloadTooLargeError(`step ${tooLarge.id} output too large: ${STEP_OUTPUT_TOO_LARGE}`);
  const u = new Unit();
  const now = ctx.clock.now();
  const received = performance.now(); // the transition latency stat (monotonic, as in exec-request.ts)
  for (const op of ops) {
    // defer() ops ship with the next checkpoint when the SDK runs steps inline (its lazy-op buffer).
    if (op.op === "DeferAdd") addDefer(run, op);
    if (op.op === "DeferAbort") abortDefer(run, op);
    if (op.op !== "StepRun" && op.op !== "Step") continue;
    if (op.metadata !== undefined && !run.memos.has(op.id))
      recordOpMetadata({ trace: sys.trace, clock: ctx.clock, log: ctx.log }, run, op, 0);
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
  if (run.stack.length >= MAX_STEPS) {
    // The step limit holds here as on the classic path: the run fails, and the 409 makes the SDK stop running it.
    sys.lifecycle.finishRun(u, run, "failed", engineFailure(STEP_LIMIT_ERROR));
    await u.commit(ctx.journal);
    return false;
  }
  ctx.journal.saveRun(run);
  await u.commit(ctx.journal);
  // Inside a checkpointing request the SDK waits for this answer before its next step.
  ctx.stats.latency.transition.add(performance.now() - received);
  return true;
}
