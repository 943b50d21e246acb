import { createHash } from "node:crypto";
import type { EngineContext } from "../context.js";
import { BadRequestError } from "../errors.js";
import { selectLatestStepEntries, selectStepNames } from "../store/history-sql.js";
import { selectMemos } from "../store/memos-sql.js";
import type { HistoryRow } from "../types.js";
import { ulid } from "../util/ulid.js";

/**
 * Rerun from a step (Inngest Cloud's "rerun from step"; its Dev Server has none): a new run of the same function
 * and event(s) whose steps recorded before the chosen one are given to the SDK as memos, so they do not execute
 * again, while the chosen step and everything after it do. "Before" is the original run's stack: the order in
 * which its steps' results were recorded.
 */

export interface PriorSteps {
  memos: Array<[hash: string, memo: unknown]>;
  /** The original's final trace rows for those steps, copied into the new run's trace. */
  trace: (newRunId: string) => HistoryRow[];
}

const HASH = /^[0-9a-f]{40}$/;

/** The step as the SDK hashes it: a 40-hex id is taken as already hashed, anything else is a step id. */
export function stepHashOf(step: string): string {
  return HASH.test(step) ? step : createHash("sha1").update(step).digest("hex");
}

export async function priorSteps(ctx: EngineContext, runId: string, fromStep: string): Promise<PriorSteps> {
  const { pool, s } = ctx;
  const hash = stepHashOf(fromStep);
  const memos = await selectMemos(pool, s, runId);
  const at = memos.findIndex((m) => m.hash === hash);
  if (at === -1) {
    const known = (await selectStepNames(pool, s, runId)).join(", ") || "none";
    throw new BadRequestError(`from_step: run ${runId} has no recorded step "${fromStep}" (its steps: ${known})`);
  }
  const prefix = memos.slice(0, at);
  const hashes = prefix.map((m) => m.hash);
  const hist = hashes.length ? await selectLatestStepEntries(pool, s, runId, hashes) : [];
  return {
    memos: prefix.map((m) => [m.hash, m.memo]),
    trace: (newRunId) =>
      hist.map((h) => ({
        id: ulid(ctx.clock.now()),
        runId: newRunId,
        kind: h.kind,
        stepHash: h.step_hash,
        stepName: h.step_name ?? undefined,
        attempt: h.attempt,
        status: h.status,
        startedAt: Number(h.started_at),
        endedAt: h.ended_at == null ? undefined : Number(h.ended_at),
        output: h.output ?? undefined,
        error: h.error ?? undefined,
        detail: { ...(h.detail ?? {}), from_run: runId },
      })),
  };
}
