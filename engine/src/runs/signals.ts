import type { Op, SerializedError } from "../protocol/response.js";
import type { Pause } from "../types.js";
import { Unit } from "../unit.js";
import { MAX_WAIT_MS, parseDeadline } from "../util/duration.js";
import { ulid } from "../util/ulid.js";
import { engineFailure } from "./lifecycle.js";
import type { OpTurn } from "./ops.js";
import type { RunSystems } from "./systems.js";
import type { TraceStep } from "./trace.js";

/**
 * Signals, as Inngest has them (pkg/execution/executor/executor.go handleGeneratorWaitForSignal and ResumeSignal,
 * pkg/api/apiv1/signals.go at 253303c): `step.waitForSignal` parks the run on a named signal until someone sends
 * it (`POST /v1/signals`, `client.sendSignal`, `step.sendSignal`) or its timeout passes. One signal has one waiter:
 * a second run waiting for it fails, unless it asked to replace the first (whose wait then only times out).
 */

/** The words Inngest fails a conflicting wait with (state.ErrSignalConflict wrapped as a StandardError). */
const CONFLICT_MESSAGE = "Signal conflict; signal wait already exists for another run";
export const SIGNAL_CONFLICT_ERROR: SerializedError = { name: "Error", message: CONFLICT_MESSAGE };

interface SignalOpts {
  signal?: unknown;
  timeout?: unknown;
  conflict?: unknown;
}

/** The WaitForSignal opcode: a pause keyed by the signal, or the run's end when the wait cannot be made. */
export function waitForSignal(sys: RunSystems, t: OpTurn, op: Op, step: TraceStep): void {
  const { run } = t;
  const opts = (op.opts ?? {}) as SignalOpts;
  const signal = typeof opts.signal === "string" ? opts.signal : "";
  const now = sys.ctx.clock.now();
  const wait = signalWait(sys, run.id, op.id, signal, opts, now);
  if ("error" in wait) {
    sys.trace.record({ ...step, kind: "signal", startedAt: t.endedAt, endedAt: now }, { status: "failed", error: wait.error });
    sys.lifecycle.finishRun(t.u, run, "failed", engineFailure(wait.error));
    t.done = true;
    return;
  }
  run.pending.add(op.id);
  sys.trace.record(
    { ...step, id: `${run.id}:${op.id}`, kind: "signal", attempt: 0, startedAt: t.endedAt, endedAt: undefined },
    { status: "waiting", detail: { signal, until: wait.expiresAt } },
  );
  sys.pauses.add(t.u, {
    id: ulid(now),
    runId: run.id,
    kind: "signal",
    expiresAt: wait.expiresAt,
    stepHash: op.id,
    data: {
      signal,
      fnSlug: run.fnSlug,
      stepName: step.stepName,
      ...(op.opts?.parallelMode === "race" ? { race: true as const } : {}),
    },
  });
  t.scheduled++;
}

/** When the wait expires, or why it cannot be made (each of which fails the run on Inngest). */
function signalWait(
  sys: RunSystems,
  runId: string,
  stepHash: string,
  signal: string,
  opts: SignalOpts,
  now: number,
): { expiresAt: number } | { error: SerializedError } {
  if (!signal) return { error: { name: "Error", message: "signal name is empty" } };
  // No timeout is a year on Inngest (SignalOpts.Expires); a timeout that does not parse cannot be waited for.
  let expiresAt = now + MAX_WAIT_MS;
  if (typeof opts.timeout === "string" && opts.timeout !== "") {
    try {
      expiresAt = parseDeadline(opts.timeout, now);
    } catch (e) {
      return { error: { name: "Error", message: `unable to parse signal expires: ${(e as Error).message}` } };
    }
  }
  const holder = sys.pauses.signalHolder(signal);
  const ours = holder?.runId === runId && holder.stepHash === stepHash;
  if (holder && !ours && opts.conflict !== "replace") return { error: SIGNAL_CONFLICT_ERROR };
  return { expiresAt };
}

/**
 * `POST /v1/signals`: resumes the run waiting for `signal` with `{signal, data}` (Inngest's SignalStepReturn).
 * Undefined when nobody waits for it (or the wait just expired), which Inngest answers 404 "No signal found".
 */
export async function sendSignal(sys: RunSystems, signal: string, data: unknown): Promise<{ runId: string } | undefined> {
  const { ctx, pauses, queue } = sys;
  const p: Pause | undefined = ctx.pauses.forSignal(signal);
  if (!p?.stepHash || p.expiresAt < ctx.clock.now() || ctx.runs.endedRecently(p.runId)) return undefined;
  const u = new Unit();
  pauses.remove(p);
  queue.resume(
    u,
    p.runId,
    p.data.fnSlug,
    p.stepHash,
    { signal, data: data === undefined ? null : data },
    {
      historyKind: "signal",
      name: p.data.stepName,
      race: p.data.race,
    },
  );
  await u.commit(ctx.journal);
  return { runId: p.runId };
}
