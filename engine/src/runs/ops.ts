import { createHash } from "node:crypto";
import { asError, isOpName, type Op, type OpName } from "../protocol/response.js";
import type { FnDef } from "../registry.js";
import type { QueueItem, RunState } from "../types.js";
import type { Unit } from "../unit.js";
import { parseDeadline } from "../util/duration.js";
import { ulid } from "../util/ulid.js";
import { abortDefer, addDefer } from "./defers.js";
import { invoke } from "./invoke.js";
import { jobIdOf } from "./job-id.js";
import { engineFailure } from "./lifecycle.js";
import { MAX_STEPS, STEP_LIMIT_ERROR } from "./limits.js";
import { recordOpMetadata } from "./metadata.js";
import { waitForSignal } from "./signals.js";
import type { RunSystems } from "./systems.js";
import type { TraceStep } from "./trace.js";

/** One 206 answer being applied to its run. */
export interface OpTurn {
  u: Unit;
  run: RunState;
  fn: FnDef;
  item: QueueItem;
  retryAfterMs?: number;
  startedAt: number;
  endedAt: number;
  /** Steps the answer parked or planned (more than one: the next requests run with immediate execution off). */
  scheduled: number;
  /** The request itself is being retried (StepError), so nothing else is queued for it. */
  retrying: boolean;
  /** RunComplete ended the run: the rest of the answer is moot. */
  done: boolean;
  /** The request's `ctx.stack.current`, which the steps it plans inherit (as Inngest's edges do). */
  stackCurrent: number;
}

interface OpHandler {
  /** It starts something new for the step (a plan, a sleep, a wait…): an op for a step already known is ignored. */
  starts?: true;
  apply(sys: RunSystems, t: OpTurn, op: Op, step: TraceStep): void;
}

/** When a step ran, from the SDK's Go-style interval: `a` is the start and `b` the duration, in nanoseconds. */
export function opTiming(op: Op): { a: number; b: number } | undefined {
  const t = (op as { timing?: { a?: unknown; b?: unknown } }).timing;
  if (!t || typeof t.a !== "number" || typeof t.b !== "number" || t.a <= 0 || t.b < 0) return undefined;
  const start = Math.round(t.a / 1e6);
  return { a: start, b: start + Math.round(t.b / 1e6) };
}

const stepName = (op: Op) => op.displayName ?? op.name ?? op.userland?.id;

/** A step's successful result: its memo and trace entry (outputs were checked against the size limit before). */
export function recordStepRun(sys: RunSystems, run: RunState, op: Op, step: TraceStep): void {
  if (sys.queue.setMemo(run, op.id, { data: op.data === undefined ? null : op.data })) {
    sys.trace.record(step, { status: "completed", output: op.data });
  }
}

const stepRun: OpHandler = {
  apply(sys, t, op, step) {
    recordStepRun(sys, t.run, op, step);
    t.run.pending.delete(op.id);
  },
};

const OPS: Record<OpName, OpHandler> = {
  StepRun: stepRun,
  Step: stepRun,
  StepError: {
    apply(sys, t, op, step) {
      const error = asError(op.error, "step failed");
      const retried = sys.retry.retry(t.u, t.run, {
        item: t.item,
        kind: "exec",
        step,
        error,
        maxAttempts: t.fn.maxAttempts,
        retriable: true,
        retryAfterMs: t.retryAfterMs,
        data: { ...(t.item.data ?? {}), name: step.stepName, jobId: jobIdOf(t.item) },
      });
      if (retried) {
        t.retrying = true;
        return;
      }
      if (endsFunction(sys, t, op, step, error)) return;
      sys.queue.setMemo(t.run, op.id, { error });
      sys.trace.record(step, { status: "failed", error });
      t.run.pending.delete(op.id);
    },
  },
  StepFailed: {
    apply(sys, t, op, step) {
      const error = asError(op.error ?? op.data, "step failed");
      if (endsFunction(sys, t, op, step, error)) return;
      sys.queue.setMemo(t.run, op.id, { error });
      sys.trace.record(step, { status: "failed", error });
      t.run.pending.delete(op.id);
    },
  },
  StepPlanned: {
    starts: true,
    apply(sys, t, op, step) {
      t.run.pending.add(op.id);
      sys.queue.enqueue(t.u, t.run, "exec", op.id, { data: { name: step.stepName, stackCurrent: t.stackCurrent, ...races(op) } });
      t.scheduled++;
    },
  },
  Sleep: {
    starts: true,
    apply(sys, t, op, step) {
      const now = sys.ctx.clock.now();
      let wake: number;
      try {
        wake = parseDeadline(String((op.opts?.duration as string | undefined) ?? op.name ?? "0s"), now);
      } catch {
        wake = now;
      }
      t.run.pending.add(op.id);
      const h = sys.trace.record(
        { ...step, kind: "sleep", attempt: 0, startedAt: t.endedAt, endedAt: undefined },
        { status: "sleeping", detail: { until: wake } },
      );
      sys.queue.resume(
        t.u,
        t.run.id,
        t.run.fnSlug,
        op.id,
        null,
        { historyId: h.id, historyKind: "sleep", name: step.stepName, startedAt: t.endedAt, ...races(op) },
        wake,
      );
      t.scheduled++;
    },
  },
  WaitForEvent: {
    starts: true,
    apply(sys, t, op, step) {
      const now = sys.ctx.clock.now();
      const timeout = op.opts?.timeout as string | undefined;
      let expiresAt = now;
      try {
        if (timeout) expiresAt = parseDeadline(timeout, now);
      } catch {
        // an unparseable timeout expires at once, like an empty one
      }
      t.run.pending.add(op.id);
      sys.trace.record(
        { ...step, id: `${t.run.id}:${op.id}`, kind: "wait", attempt: 0, startedAt: t.endedAt, endedAt: undefined },
        { status: "waiting", detail: { event: op.name, until: expiresAt, if: op.opts?.if } },
      );
      sys.pauses.add(t.u, {
        id: ulid(now),
        runId: t.run.id,
        kind: "wait",
        event: String(op.name ?? op.opts?.event ?? ""),
        expr: (op.opts?.if as string | undefined) || undefined,
        expiresAt,
        stepHash: op.id,
        data: { trigger: t.run.events[0], fnSlug: t.run.fnSlug, stepName: step.stepName, ...races(op) },
      });
      t.scheduled++;
    },
  },
  WaitForSignal: { starts: true, apply: waitForSignal },
  InvokeFunction: {
    starts: true,
    apply(sys, t, op, step) {
      t.run.pending.add(op.id);
      invoke(sys, t.u, t.run, op, step.stepName, t.endedAt);
      t.scheduled++;
    },
  },
  Gateway: gateway(false),
  AIGateway: gateway(true),
  RunComplete: {
    apply(sys, t, op) {
      completeRun(sys, t.u, t.run, t.item, op.data ?? null, t.startedAt, t.endedAt);
      t.done = true;
    },
  },
  DiscoveryRequest: { apply() {} },
  DeferAdd: {
    apply(sys, t, op) {
      const { rejected } = addDefer(t.run, op);
      if (rejected)
        sys.ctx.log.warn({ runId: t.run.id, stepId: op.id, reason: rejected }, "defer soft-rejected; the run goes on without it");
    },
  },
  DeferAbort: {
    apply(_sys, t, op) {
      abortDefer(t.run, op);
    },
  },
};

/** The SDK's id for "the function itself" (sha1 of "complete"), used when a function error ships with lazy ops. */
const RUN_COMPLETE_HASH = createHash("sha1").update("complete").digest("hex");

/**
 * A function that threw while `defer()` ops were waiting to ship answers `[DeferAdd…, StepFailed{id: complete}]`
 * (the SDK's attachLazyOps): that is the run's own failure, not a step's. StepError for it retries the request,
 * as the handler above already does; the final one ends the run.
 */
function endsFunction(sys: RunSystems, t: OpTurn, op: Op, step: TraceStep, error: ReturnType<typeof asError>): boolean {
  if (op.id !== RUN_COMPLETE_HASH) return false;
  sys.trace.record({ ...step, kind: "function", stepHash: undefined, stepName: undefined }, { status: "failed", error });
  sys.lifecycle.finishRun(t.u, t.run, "failed", { error });
  t.done = true;
  return true;
}

function gateway(ai: boolean): OpHandler {
  return {
    starts: true,
    apply(sys, t, op, step) {
      t.run.pending.add(op.id);
      sys.queue.enqueue(t.u, t.run, "gateway", op.id, { data: { request: op.opts ?? {}, name: step.stepName, ai, ...races(op) } });
      t.scheduled++;
    },
  };
}

/** The function returned (200, or RunComplete when checkpointing): trace entry and the run's end. */
export function completeRun(
  sys: RunSystems,
  u: Unit,
  run: RunState,
  item: QueueItem,
  output: unknown,
  startedAt: number,
  endedAt: number,
): void {
  sys.trace.record({ runId: run.id, kind: "function", attempt: item.attempt, startedAt, endedAt }, { status: "completed", output });
  sys.lifecycle.finishRun(u, run, "completed", { output });
}

/** Applies a 206 answer's opcodes to the run, then queues what comes next (unless a retry or the end came first). */
export function applyOps(sys: RunSystems, t: OpTurn, ops: Op[]): void {
  const { run, item } = t;
  for (const op of ops) {
    if (!isOpName(op.op)) {
      sys.ctx.log.debug({ op: op.op, runId: run.id }, "ignoring opcode this engine does not implement");
      continue;
    }
    const handler = OPS[op.op];
    if (handler.starts && (run.memos.has(op.id) || run.pending.has(op.id))) continue; // already known: a repeated op
    if (op.metadata !== undefined && !run.memos.has(op.id))
      recordOpMetadata({ trace: sys.trace, clock: sys.ctx.clock, log: sys.ctx.log }, run, op, item.attempt);
    const timing = opTiming(op);
    const step: TraceStep = {
      runId: run.id,
      kind: "step",
      stepHash: op.id,
      stepName: stepName(op),
      attempt: item.attempt,
      startedAt: timing?.a ?? t.startedAt,
      endedAt: timing?.b ?? t.endedAt,
    };
    handler.apply(sys, t, op, step);
    if (t.done) return;
  }
  if (item.stepId !== "step" && !t.retrying) run.pending.delete(item.stepId);
  if (t.scheduled > 1) run.forceStepPlan = true;
  if (run.stack.length >= MAX_STEPS) {
    // Inngest refuses the run's next request once it has this many steps (validate.go checkStepLimit); ending it
    // here saves that request and ends the same way.
    sys.lifecycle.finishRun(t.u, run, "failed", engineFailure(STEP_LIMIT_ERROR));
    return;
  }
  if (!t.retrying) sys.queue.discover(t.u, run, item.data?.race === true);
}

/** The step was declared inside `group.parallel({ mode: "race" })` (the SDK puts it in the op's opts). */
const races = (op: Op): { race?: true } => (op.opts?.parallelMode === "race" ? { race: true } : {});
