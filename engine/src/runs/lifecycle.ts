import type { EngineContext } from "../context.js";
import { evaluate, evaluateKey } from "../expr/cel.js";
import { flowKey } from "../flow/flow-state.js";
import type { SerializedError } from "../protocol/response.js";
import type { FnDef } from "../registry.js";
import type { Refusal } from "../store/journal.js";
import { ENDED, type EventRecord, type RunState, type RunStatus, type WireEvent } from "../types.js";
import { Unit } from "../unit.js";
import { ulid } from "../util/ulid.js";
import { DEFERRED_SCHEDULE_EVENT, takeDeferredEvents } from "./defers.js";
import type { PauseSystem } from "./pause-system.js";
import type { RunQueue } from "./queue.js";
import type { RunTimeouts } from "./run-timeouts.js";
import type { Trace } from "./trace.js";

const PRIORITY_LIMIT = 43_200;

export function toWire(e: EventRecord): WireEvent {
  const w: WireEvent = { id: e.id, name: e.name, data: e.data, user: e.user ?? {}, ts: e.ts };
  if (e.v !== undefined) w.v = e.v;
  if (e.meta) w.meta = e.meta;
  return w;
}

type EndStatus = Extract<RunStatus, "completed" | "failed" | "cancelled">;

/**
 * A run from its creation to its end: creating it (priority, concurrency keys, singleton, the first request,
 * cancelOn pauses, timeouts), marking it started, and ending it (dropping its work, emitting Inngest's lifecycle
 * events, answering an invoking parent).
 */
export class RunLifecycle {
  /** singleton key → the active run's id */
  readonly singletons = new Map<string, string>();
  /** Runs already failed because the database refused one of their rows (so a refused failure cannot loop). */
  private readonly refused = new Set<string>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly queue: RunQueue,
    private readonly pauseSystem: PauseSystem,
    private readonly timeouts: RunTimeouts,
    private readonly trace: Trace,
  ) {
    ctx.bus.on("row.refused", (r) => this.failRefused(r));
  }

  createRun(
    u: Unit,
    fn: FnDef,
    events: EventRecord[],
    extra: {
      parent?: RunState["parent"];
      replayOf?: string;
      batchId?: string;
      /** Step results the run starts with (a rerun from a step), in stack order. */
      memos?: Array<[hash: string, memo: unknown]>;
    } = {},
  ): RunState {
    const { clock, journal, runs, stats } = this.ctx;
    const now = clock.now();
    const wire = events.map(toWire);
    const trigger = wire[0] as WireEvent;
    const vars = { event: trigger };
    const run: RunState = {
      id: ulid(now),
      fnSlug: fn.slug,
      status: "queued",
      eventIds: events.map((e) => e.internalId),
      events: wire,
      batchId: extra.batchId,
      createdAt: now,
      requestVersion: -1,
      forceStepPlan: false,
      pending: new Set(),
      memos: new Map(),
      stack: [],
      priority: priorityOf(fn, vars, now),
      concurrency: concurrencyKeys(fn, vars, now),
      parent: extra.parent,
      replayOf: extra.replayOf,
    };
    if (fn.singleton) {
      run.singletonKey = flowKey(fn.slug, fn.singleton.key, vars, now);
      this.singletons.set(run.singletonKey, run.id);
    }
    runs.set(run);
    journal.insertRun(run);
    for (const [hash, memo] of extra.memos ?? []) this.queue.setMemo(run, hash, memo);
    stats.counters.runsStarted++;
    stats.metrics.runsStarted.inc({ function: fn.slug });
    const at = Math.max(trigger.ts, now);
    this.queue.enqueue(u, run, "exec", "step", {
      isStart: true,
      throttleKey: fn.throttle ? flowKey(fn.slug, fn.throttle.key, vars, now) : undefined,
      at,
      wait: at > now ? { reason: "delayed", until: at } : undefined,
    });
    fn.cancel.forEach((c, i) => {
      this.pauseSystem.add(u, {
        id: `${run.id}:c${i}`,
        runId: run.id,
        kind: "cancel",
        event: c.event,
        expr: c.if,
        expiresAt: now + c.timeoutMs,
        data: { trigger, triggerInternalId: events[0]?.internalId, fnSlug: fn.slug },
      });
    });
    u.after.push(() => {
      this.timeouts.arm(run, fn);
      runs.evictIfBacklogged(run);
    });
    this.ctx.bus.emit("run.created", { run });
    return run;
  }

  markStarted(run: RunState, fn: FnDef | undefined): void {
    if (run.status !== "queued") return;
    run.status = "running";
    run.startedAt = this.ctx.clock.now();
    this.ctx.journal.saveRun(run);
    this.timeouts.started(run, fn);
  }

  /** Ends a run: drops its queued work and pauses, emits lifecycle events, answers an invoking parent. */
  finishRun(u: Unit, run: RunState, status: EndStatus, result: { output?: unknown; error?: SerializedError; reason?: string }): void {
    if (ENDED.has(run.status)) return;
    const { clock, journal, scheduler, pauses, runs, stats } = this.ctx;
    const now = clock.now();
    run.status = status;
    run.endedAt = now;
    // A failed run's output is what Inngest's runs API shows for it: the error body the app sent, or `{"error": …}`
    // for a failure the engine decided (engineFailure below).
    if (status === "completed") run.output = result.output ?? null;
    if (status === "failed") run.output = result.output ?? result.error ?? null;
    if (result.error) run.error = result.error;
    if (result.reason) run.cancelReason = result.reason;
    run.pending.clear();
    journal.saveRun(run);
    for (const item of scheduler.itemsOf(run.id)) {
      journal.deleteItem(item.id);
      scheduler.remove(item.id);
    }
    for (const p of pauses.ofRun(run.id)) this.pauseSystem.remove(p);
    this.timeouts.clear(run.id);
    if (run.singletonKey && this.singletons.get(run.singletonKey) === run.id) this.singletons.delete(run.singletonKey);
    runs.markEnded(run.id);
    stats.counters.runsEnded++;
    stats.metrics.runsFinished.inc({ function: run.fnSlug, status });
    stats.lastRunEndedAt = now;
    this.emitEndEvents(u, run, status, result.reason);
    this.scheduleDefers(u, run);
    this.answerParent(u, run, status, result.reason);
    u.after.push(() => {
      runs.delete(run.id);
      stats.lastAnswerAt.delete(run.id);
    });
    this.ctx.bus.emit("run.ended", { run, status });
  }

  /** Cancels a run with a trace entry saying why (API, cancelOn, timeouts, singleton). */
  cancelRun(u: Unit, run: RunState, reason: string): void {
    this.trace.run(run.id, 0, this.ctx.clock.now(), { status: "cancelled", detail: { reason } });
    this.finishRun(u, run, "cancelled", { reason });
  }

  /** An engine-made event (lifecycle, invoke, cron): stored and matched like any other, in the same unit. */
  emitInternal(u: Unit, name: string, data: Record<string, unknown>, id?: string, meta?: EventRecord["meta"]): EventRecord {
    const now = this.ctx.clock.now();
    const internalId = ulid(now);
    const event: EventRecord = { internalId, id: id ?? internalId, name, data, ts: now, receivedAt: now, user: {}, meta };
    this.ctx.journal.insertEvent(event);
    this.ctx.bus.emit("event.emitted", { unit: u, event });
    return event;
  }

  /** `inngest/function.finished` and `.failed` / `.cancelled` (ids = the run id), unless the run handled one itself. */
  private emitEndEvents(u: Unit, run: RunState, status: EndStatus, reason: string | undefined): void {
    const trigger = run.events[0];
    if (trigger?.name === "inngest/function.failed" || trigger?.name === "inngest/function.finished") return;
    const base: Record<string, unknown> = { function_id: run.fnSlug, run_id: run.id, event: trigger, events: run.events };
    const correlation = (trigger?.data as { _inngest?: { correlation_id?: string } })?._inngest?.correlation_id;
    if (correlation) base.correlation_id = correlation;
    if (status === "completed") base.result = run.output;
    else base.error = run.error ?? { name: "Error", message: reason ?? status };
    // A copy with one more key, made by assignment (an object spread followed by a new key is slow in Node 20's V8).
    this.emitInternal(u, "inngest/function.finished", Object.assign({}, base, { _inngest: { status } }));
    if (status === "failed") this.emitInternal(u, "inngest/function.failed", base, run.id);
    if (status === "cancelled") this.emitInternal(u, "inngest/function.cancelled", base, run.id);
  }

  /** Each live `defer()` of the run starts its companion function now that the run has ended (runs/defers.ts). */
  private scheduleDefers(u: Unit, run: RunState): void {
    if (!run.defers) return;
    const { events, dropped } = takeDeferredEvents(run, this.ctx.registry.get(run.fnSlug)?.appId);
    for (const e of events) this.emitInternal(u, DEFERRED_SCHEDULE_EVENT, e.data, e.id, e.meta);
    if (dropped.length) this.ctx.log.warn({ runId: run.id, dropped }, "deferred runs dropped: their sessions did not pass");
  }

  /** An invoked run's end resumes the parent's invoke step with the result or the error. */
  private answerParent(u: Unit, run: RunState, status: EndStatus, reason: string | undefined): void {
    if (!run.parent) return;
    const p = this.ctx.pauses.forCorrelation(run.parent.correlationId);
    if (!p?.stepHash) return;
    this.pauseSystem.remove(p);
    const memo =
      status === "completed"
        ? { data: run.output ?? null }
        : { error: run.error ?? { name: "Error", message: `invoked function was ${status}${reason ? `: ${reason}` : ""}` } };
    this.queue.resume(u, p.runId, p.data.fnSlug, p.stepHash, memo, { historyKind: "invoke", race: p.data.race });
  }

  /** The database refused a row of this run (Journal.isolate): the run fails with that reason. */
  private failRefused(r: Refusal): void {
    const runId = r.runId;
    if (!runId || this.refused.has(runId)) return;
    this.refused.add(runId);
    void (async () => {
      const run = await this.ctx.runs.load(runId);
      if (!run || ENDED.has(run.status)) return;
      const u = new Unit();
      this.finishRun(
        u,
        run,
        "failed",
        engineFailure({ name: "StorageRefused", message: `the database refused this run's ${r.table} row: ${r.message}` }),
      );
      await u.commit(this.ctx.journal);
    })().catch((err) => this.ctx.log.error({ err, runId }, "could not fail a run whose row the database refused"));
  }
}

/**
 * A run the engine itself fails (a limit, a signal conflict, a vanished function): the error, and as the run's output
 * Inngest's serialized StandardError, `{"error": {error, name, message}}` (StandardError.Serialize at 253303c).
 */
export function engineFailure(e: SerializedError): { error: SerializedError; output: { error: SerializedError } } {
  const error = { error: `${e.name}: ${e.message}`, ...e };
  return { error, output: { error } };
}

/** priority.run: an integer of seconds, clamped to ±12 h; anything else (or an error) is 0, as on Inngest. */
function priorityOf(fn: FnDef, vars: Record<string, unknown>, now: number): number {
  if (!fn.priorityExpr) return 0;
  try {
    const v = evaluate(fn.priorityExpr, vars, now);
    if (typeof v === "number" && Number.isInteger(v)) return Math.max(-PRIORITY_LIMIT, Math.min(PRIORITY_LIMIT, v));
  } catch {
    // Inngest ignores a priority expression that fails: factor 0.
  }
  return 0;
}

/**
 * A run's concurrency keys, evaluated on its event. The first keyed limit of the function's own scope is its tenant
 * key: its value is
 * the tenant the fair scheduler shares slots by (a keyed limit such as `{ key: "event.data.orgId", limit }` beside
 * the function's own limit names it, with Inngest's own options; on Inngest it is a per-key limit).
 */
function concurrencyKeys(fn: FnDef, vars: Record<string, unknown>, now: number): RunState["concurrency"] {
  let tenantNamed = false;
  return fn.concurrency.map((c) => {
    const value = c.key ? evaluateKey(c.key, vars, now) : undefined;
    const key = c.scope === "fn" ? `fn:${fn.slug}${value === undefined ? "" : `:${value}`}` : `${c.scope}:${value}`;
    const label = value === undefined ? `function ${fn.slug}` : `key ${value}`;
    // An env- or account-scoped key is a resource shared across functions (an API's rate), not a tenant.
    if (value === undefined || tenantNamed || c.scope !== "fn") return { key, limit: c.limit, label };
    tenantNamed = true;
    return { key, limit: c.limit, label, tenant: String(value) };
  });
}
