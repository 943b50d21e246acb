import { appUnreachable, classify, type Outcome } from "../protocol/response.js";
import { traceHeaders } from "../protocol/trace-context.js";
import type { FnDef } from "../registry.js";
import { ENDED, type QueueItem, type RunState } from "../types.js";
import { Unit } from "../unit.js";
import { Samples } from "../util/samples.js";
import { ulid } from "../util/ulid.js";
import { deferEntries } from "./defers.js";
import { jobIdOf } from "./job-id.js";
import { engineFailure } from "./lifecycle.js";
import { MAX_STEPS, oversizedOp, STEP_LIMIT_ERROR, STEP_OUTPUT_TOO_LARGE } from "./limits.js";
import { applyOps, completeRun, type OpTurn } from "./ops.js";
import type { RunSystems } from "./systems.js";

function stepUrl(base: string, stepId: string): string {
  const u = new URL(base);
  u.searchParams.set("stepId", stepId);
  return u.toString();
}

/**
 * `ctx.stack.current` as Inngest numbers it (pkg/execution/executor/executor.go, stackIndex): one past the stack
 * position of the step that led to this request. A discovery request follows the run's newest memo (it is queued
 * only once nothing is pending), so that is the stack's length, 0 for the first request; a planned step's request
 * carries the number of the request that planned it.
 */
function stackCurrent(run: RunState, item: QueueItem): number {
  const planned = item.data?.stackCurrent;
  return typeof planned === "number" ? planned : run.stack.length;
}

/** The body and headers of an execution request (notes §2). */
function request(sys: RunSystems, run: RunState, fn: FnDef, item: QueueItem, current: number) {
  const ctx: Record<string, unknown> = {
    run_id: run.id,
    attempt: item.attempt,
    max_attempts: fn.maxAttempts,
    disable_immediate_execution: run.forceStepPlan,
    use_api: false,
    stack: { stack: run.stack, current },
  };
  // Retries (attempt > 0) stay one step per request, so the next step starts with a fresh attempt count.
  if (sys.ctx.opts.checkpointing && item.stepId === "step" && !run.forceStepPlan && item.attempt === 0) {
    // The SDK may now run several steps in this request, reporting each to POST /v1/checkpoint/:runId/async.
    ctx.fn_id = fn.slug;
    ctx.qi_id = item.id;
  }
  const payload: Record<string, unknown> = {
    event: run.events[0],
    events: run.events,
    steps: Object.fromEntries(run.memos),
    ctx,
    version: run.requestVersion,
  };
  if (run.defers) payload.defers = deferEntries(run);
  const headers: Record<string, string> = {
    "x-run-id": run.id,
    "x-request-id": ulid(),
    "x-inngest-step-id": item.stepId,
    "x-inngest-job-id": jobIdOf(item),
    // Extended Traces: the SDK exports the spans a function makes only for a request with a traceparent.
    ...traceHeaders(run.id, fn.appId, fn.slug),
  };
  if (run.requestVersion >= 0) headers["x-inngest-req-version"] = String(run.requestVersion);
  return { payload, headers };
}

/** The function's recent request durations, which a queued run's predicted start is reckoned from. */
function recordRequestTime(all: Map<string, Samples>, fnSlug: string, ms: number): void {
  let samples = all.get(fnSlug);
  if (!samples) all.set(fnSlug, (samples = new Samples(200)));
  samples.add(ms);
}

/**
 * An `exec` item: one request to the app's serve endpoint for the run (discovery, or one planned step), and its
 * answer applied: the run's end, a function-level error (retried or final), or opcodes. An app that does not
 * answer holds the request instead (sync/app-availability.ts).
 */
export async function executeRequest(sys: RunSystems, item: QueueItem, run: RunState): Promise<void> {
  const { ctx, lifecycle } = sys;
  const fn = ctx.registry.get(run.fnSlug);
  if (!fn || fn.archived) {
    const u = new Unit();
    ctx.journal.deleteItem(item.id);
    lifecycle.finishRun(
      u,
      run,
      "failed",
      engineFailure({ name: "FunctionNotFound", message: `function ${run.fnSlug} is no longer registered` }),
    );
    await u.commit(ctx.journal);
    return;
  }
  lifecycle.markStarted(run, fn);
  const startedAt = ctx.clock.now();
  const current = stackCurrent(run, item);
  const { payload, headers } = request(sys, run, fn, item, current);
  ctx.stats.counters.requests++;
  // Request and transition durations are measured on the monotonic timer, for the latency stats only: sub-millisecond,
  // and a test clock that jumps must not turn them into hours. Nothing the engine decides reads them.
  const sentAt = performance.now();
  if (item.isStart && item.attempt === 0) {
    ctx.stats.latency.start.add(startedAt - run.createdAt);
    ctx.stats.metrics.dispatchLatency.observe(Math.max(0, startedAt - run.createdAt) / 1000);
  }
  const answered = ctx.stats.lastAnswerAt.get(run.id);
  if (answered !== undefined && item.attempt === 0) ctx.stats.latency.transition.add(sentAt - answered);
  const result = await ctx.client.call(stepUrl(fn.url, item.stepId), payload, headers);
  // The function is done with this request: its concurrency slots go to the next run while the answer is journaled.
  // (An app that was away keeps them: its request is held and sent again, still this run's turn.)
  const away = appUnreachable(result);
  if (!away) ctx.scheduler.releaseSlots(item);
  const requestMs = performance.now() - sentAt;
  recordRequestTime(ctx.stats.requestMs, fn.slug, requestMs);
  ctx.stats.metrics.requestSeconds.observe({ function: fn.slug }, requestMs / 1000);
  if (ENDED.has(run.status)) return; // cancelled while the request was in flight; its item is already gone
  if (heldWhileAway(sys, fn, item, away)) return;
  const outcome = withinLimits(classify(result, ctx.clock.now()));
  const u = new Unit();
  ctx.journal.deleteItem(item.id);
  if (outcome.version !== undefined && outcome.version >= 0) run.requestVersion = outcome.version;
  const endedAt = ctx.clock.now();
  if (outcome.type === "ops" && outcome.ops.length > MAX_STEPS) {
    // Inngest: "Disallow parallel plans that exceed the step limit" (executor.go handleGeneratorGroup).
    lifecycle.finishRun(u, run, "failed", engineFailure(STEP_LIMIT_ERROR));
  } else if (outcome.type === "complete") completeRun(sys, u, run, item, outcome.output, startedAt, endedAt);
  else if (outcome.type === "error") functionError(sys, u, run, fn, item, outcome, startedAt, endedAt);
  else {
    const turn: OpTurn = {
      u,
      run,
      fn,
      item,
      retryAfterMs: outcome.retryAfterMs,
      startedAt,
      endedAt,
      scheduled: 0,
      retrying: false,
      done: false,
      stackCurrent: current,
    };
    applyOps(sys, turn, outcome.ops);
  }
  if (!ENDED.has(run.status)) ctx.journal.saveRun(run);
  const handledAt = performance.now();
  await u.commit(ctx.journal);
  if (!ENDED.has(run.status)) ctx.stats.lastAnswerAt.set(run.id, handledAt);
}

/**
 * An app that is down or restarting is not this function failing: the same request (same attempt) waits, parked
 * with the app's others, until the app answers; its queue row is never touched. A request that keeps finding the app
 * away right after it answered falls through, and its failure counts as an attempt (sync/app-availability.ts).
 */
function heldWhileAway(sys: RunSystems, fn: FnDef, item: QueueItem, away: ReturnType<typeof appUnreachable>): boolean {
  const { ctx } = sys;
  if (away && ctx.availability.holdRequest(fn.appId, fn.url, item.id, away)) {
    setImmediate(() => ctx.scheduler.add({ ...item, seq: ctx.scheduler.nextSeq() }));
    return true;
  }
  ctx.availability.answered(item.id);
  if (!away) ctx.availability.release(fn.appId);
  return false;
}

/** A function-level error (the request failed as a whole): the same request again after backoff, or the run fails. */
function functionError(
  sys: RunSystems,
  u: Unit,
  run: RunState,
  fn: FnDef,
  item: QueueItem,
  outcome: Extract<Outcome, { type: "error" }>,
  startedAt: number,
  endedAt: number,
): void {
  const kind = item.stepId === "step" ? ("function" as const) : ("step" as const);
  const step = {
    runId: run.id,
    kind,
    stepHash: kind === "step" ? item.stepId : undefined,
    stepName: item.data?.name as string | undefined,
    attempt: item.attempt,
    startedAt,
    endedAt,
  };
  const retried = sys.retry.retry(u, run, {
    item,
    kind: "exec",
    step,
    error: outcome.error,
    maxAttempts: fn.maxAttempts,
    retriable: outcome.retriable,
    retryAfterMs: outcome.retryAfterMs,
    // The same request again: still the run's start if it was, and the same job id for the SDK's ctx.jobId.
    isStart: item.isStart,
    data: { ...(item.data ?? {}), jobId: jobIdOf(item) },
  });
  if (retried) return;
  sys.trace.record(step, { status: "failed", error: outcome.error });
  sys.lifecycle.finishRun(u, run, "failed", { error: outcome.error });
}

/**
 * An answer whose op carries an output over the limit is an error of the whole request, retried like one, as
 * Inngest's HTTP driver refuses it while parsing (httpdriver/parse.go at 253303c).
 */
function withinLimits(outcome: Outcome): Outcome {
  if (outcome.type !== "ops") return outcome;
  const op = oversizedOp(outcome.ops);
  if (!op) return outcome;
  const message = `error validating generator opcode ${op.id}: ${STEP_OUTPUT_TOO_LARGE}`;
  return { type: "error", retriable: true, error: { name: "Error", message }, version: outcome.version };
}
