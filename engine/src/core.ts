import { hostname } from "node:os";
import { outboundPolicy } from "@jobdeck/outbound-guard";
import pg from "pg";
import pino, { type Logger } from "pino";
import { evaluate, evaluateKey } from "./expr/cel.js";
import { backoffDelay, type EngineOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import type { SerializedError } from "./protocol/response.js";
import { SdkClient } from "./protocol/sdk-client.js";
import { defineFunction, type FnDef, Registry } from "./registry.js";
import { PauseIndex } from "./runs/pauses.js";
import { gcra } from "./sched/gcra.js";
import { Scheduler } from "./sched/scheduler.js";
import { type TimerHandle, Timers } from "./sched/timers.js";
import { Journal, type Refusal } from "./store/journal.js";
import { migrate, quoteIdent } from "./store/migrate.js";
import { AppAvailability } from "./sync/app-availability.js";
import {
  ENDED,
  type EventRecord,
  type HistoryRow,
  type ItemKind,
  type Pause,
  type QueueItem,
  type RunState,
  type RunStatus,
  type WireEvent,
} from "./types.js";
import { Samples } from "./util/samples.js";
import { ulid } from "./util/ulid.js";

/** A unit of work: state changes go to the journal; `after` runs once they are durable. */
export class Unit {
  readonly after: Array<() => void> = [];
}

export const DAY_MS = 86_400_000;
const PRIORITY_LIMIT = 43_200;
const MAX_STEPS = 1000;
const RECENT_EVENT_WINDOW_MS = 10 * 60_000;

export function toWire(e: EventRecord): WireEvent {
  const w: WireEvent = { id: e.id, name: e.name, data: e.data, user: e.user ?? {}, ts: e.ts };
  if (e.v !== undefined) w.v = e.v;
  return w;
}

interface FlowEntry {
  value: unknown;
  expiresAt?: number | null;
}

/**
 * The engine's state and the run lifecycle. Everything lives in memory for speed and is written through the
 * journal before it is acted on; `recover()` rebuilds the memory from PostgreSQL after a restart.
 */
export class Core {
  readonly opts: ResolvedOptions;
  readonly log: Logger;
  readonly pool: pg.Pool;
  readonly journal: Journal;
  readonly registry = new Registry();
  readonly timers = new Timers();
  readonly scheduler: Scheduler;
  readonly pauses = new PauseIndex();
  readonly client: SdkClient;
  /** Apps that do not answer: their requests are held (not failed) until they do. */
  readonly availability: AppAvailability;
  readonly s: string;

  /** Run states of runs with work in progress; idle runs (sleeping, waiting) are dropped and reloaded. */
  readonly runs = new Map<string, RunState>();
  private readonly loading = new Map<string, Promise<RunState | undefined>>();
  private readonly active = new Map<string, number>();
  private readonly flow = new Map<string, FlowEntry>();
  private readonly flowTimers = new Map<string, TimerHandle>();
  private readonly pauseTimers = new Map<string, TimerHandle>();
  private readonly runTimers = new Map<string, TimerHandle[]>();
  /** timeouts.start deadlines, dropped as soon as the run's first request goes out. */
  private readonly startTimers = new Map<string, TimerHandle>();
  /** Runs that ended in the last minutes, so work committed concurrently for them is dropped, not armed. */
  private readonly endedRecently = new Map<string, number>();
  /** singleton key → active run id */
  readonly singletons = new Map<string, string>();
  /** internal event id → receive time, to make an SDK's retried send idempotent. */
  readonly recentEvents = new Map<string, number>();
  readonly startedAt = Date.now();
  lastRunEndedAt: number | undefined;
  readonly counters = { eventsReceived: 0, runsStarted: 0, runsEnded: 0, requests: 0 };
  /** Engine-side latency: run created → first request sent, and an answer handled → the run's next request sent. */
  readonly latency = { start: new Samples(), transition: new Samples() };
  /** When each active run's last SDK answer was handled (memory only), for transition latency. */
  readonly lastAnswerAt = new Map<string, number>();

  /** Set by the engine: runs an item when the scheduler hands it out. */
  dispatcher: (item: QueueItem) => Promise<void> = async () => {};
  /** Set by the engine: processes an event (pauses and triggers) inside a unit. */
  eventProcessor: (u: Unit, ev: EventRecord) => void = () => {};

  constructor(options: EngineOptions) {
    this.opts = resolveOptions(options);
    this.log = options.logger ?? pino({ name: "engine", level: options.logLevel ?? "info" });
    this.s = quoteIdent(this.opts.schema);
    // A database that hangs must not hold a connection attempt or a query for ever: the journal retries a flush
    // that timed out (its writes are idempotent), and a connection attempt gives up and is tried again.
    this.pool = new pg.Pool({
      connectionString: this.opts.databaseUrl,
      max: this.opts.poolSize,
      connectionTimeoutMillis: 10_000,
      query_timeout: 60_000,
    });
    this.pool.on("error", (err) => this.log.warn({ err }, "idle database connection failed"));
    this.journal = new Journal(this.pool, this.opts.schema, this.log, (r) => this.failRefusedRun(r));
    this.client = new SdkClient({
      signingKey: this.opts.signingKey,
      serverKind: this.opts.signingKey ? "cloud" : "dev",
      requestTimeoutMs: this.opts.requestTimeoutMs,
      connections: Math.max(16, this.opts.maxInFlight),
      outbound: outboundPolicy(this.opts.outboundAllow, "the engine's --allow-outbound"),
    });
    this.scheduler = new Scheduler(
      this.timers,
      {
        // A paused function's requests wait, and so do those of an app that does not answer right now.
        isPaused: (slug) => {
          const fn = this.registry.get(slug);
          return fn !== undefined && (fn.paused || this.availability.isHeld(fn.appId));
        },
        throttle: (item, now) => this.throttle(item, now),
        dispatch: (item) => this.dispatcher(item),
      },
      this.opts.maxInFlight,
    );
    this.availability = new AppAvailability(this.client, this.timers, this.log, (appId) => {
      for (const fn of this.registry.all()) if (fn.appId === appId && !fn.paused) this.scheduler.resumeFunction(fn.slug);
    });
  }

  /** Runs already failed because the database refused one of their rows (so a refused failure cannot loop). */
  private readonly refusedRuns = new Set<string>();

  /** The database refused a row of this run (see Journal.isolate): the run fails with that reason. */
  private failRefusedRun(r: Refusal): void {
    const runId = r.runId;
    if (!runId || this.refusedRuns.has(runId)) return;
    this.refusedRuns.add(runId);
    void (async () => {
      const run = await this.loadRun(runId);
      if (!run || ENDED.has(run.status)) return;
      const u = new Unit();
      this.finishRun(u, run, "failed", {
        error: { name: "StorageRefused", message: `the database refused this run's ${r.table} row: ${r.message}` },
      });
      await this.commit(u);
    })().catch((err) => this.log.error({ err, runId }, "could not fail a run whose row the database refused"));
  }

  async migrate(): Promise<void> {
    const applied = await migrate(this.pool, this.opts.schema);
    if (applied.length) this.log.info({ applied }, "engine migrations applied");
  }

  async commit(u: Unit): Promise<void> {
    await this.journal.commit();
    for (const f of u.after) f();
  }

  // ---------------------------------------------------------------- flow-control state (dedup, GCRA, debounce…)

  flowGet(kind: string, key: string, now = Date.now()): unknown {
    const e = this.flow.get(`${kind}\u0000${key}`);
    if (!e) return undefined;
    if (e.expiresAt != null && e.expiresAt <= now) {
      this.flow.delete(`${kind}\u0000${key}`);
      return undefined;
    }
    return e.value;
  }

  flowPut(kind: string, key: string, value: unknown, expiresAt?: number | null): void {
    this.flow.set(`${kind}\u0000${key}`, { value, expiresAt });
    this.journal.putState({ kind, key, value, expiresAt });
  }

  flowDelete(kind: string, key: string): void {
    this.flow.delete(`${kind}\u0000${key}`);
    this.journal.deleteState(kind, key);
  }

  flowEntries(kind: string): Array<[string, unknown]> {
    const out: Array<[string, unknown]> = [];
    const prefix = `${kind}\u0000`;
    for (const [k, v] of this.flow) if (k.startsWith(prefix)) out.push([k.slice(prefix.length), v.value]);
    return out;
  }

  setFlowTimer(id: string, at: number, fire: () => void): void {
    this.timers.cancel(this.flowTimers.get(id));
    this.flowTimers.set(
      id,
      this.timers.at(at, () => {
        this.flowTimers.delete(id);
        fire();
      }),
    );
  }

  clearFlowTimer(id: string): void {
    this.timers.cancel(this.flowTimers.get(id));
    this.flowTimers.delete(id);
  }

  /** Drops expired dedup/GCRA keys from memory and the database. */
  async sweepExpired(): Promise<void> {
    const now = Date.now();
    for (const [k, e] of this.flow) if (e.expiresAt != null && e.expiresAt <= now) this.flow.delete(k);
    for (const [k, t] of this.recentEvents) if (t < now - RECENT_EVENT_WINDOW_MS) this.recentEvents.delete(k);
    for (const [k, t] of this.endedRecently) if (t < now - 5 * 60_000) this.endedRecently.delete(k);
    await this.pool.query(`DELETE FROM ${this.s}.state WHERE expires_at IS NOT NULL AND expires_at <= $1`, [now]);
  }

  /** GCRA for `throttle`: a run's first request waits until the key has a free start slot. */
  private throttle(item: QueueItem, now: number): number {
    const fn = this.registry.get(item.fnSlug);
    const t = fn?.throttle;
    if (!t || item.throttleKey === undefined) return now;
    const emission = t.periodMs / t.limit;
    const tat = this.flowGet("throttle", item.throttleKey, now) as number | undefined;
    const r = gcra(tat, now, emission, emission * t.burst);
    if (!r.allowed) return Math.ceil(r.allowAt);
    this.flowPut("throttle", item.throttleKey, r.tat, Math.ceil(r.tat + t.periodMs));
    return now;
  }

  // ---------------------------------------------------------------- run state cache

  /** The run's state from memory or the database; undefined if it does not exist. */
  async loadRun(id: string): Promise<RunState | undefined> {
    const cached = this.runs.get(id);
    if (cached) return cached;
    let p = this.loading.get(id);
    if (!p) {
      p = this.readRun(id).finally(() => this.loading.delete(id));
      this.loading.set(id, p);
    }
    return p;
  }

  private async readRun(id: string): Promise<RunState | undefined> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.s}.runs WHERE id = $1`, [id]);
    const r = rows[0];
    if (!r) return undefined;
    const memoRows = await this.pool.query(`SELECT hash, memo FROM ${this.s}.memos WHERE run_id = $1 ORDER BY seq`, [id]);
    const again = this.runs.get(id);
    if (again) return again;
    const run: RunState = {
      id: r.id,
      fnSlug: r.function_slug,
      status: r.status,
      eventIds: r.event_ids,
      events: r.events,
      batchId: r.batch_id ?? undefined,
      createdAt: Number(r.created_at),
      startedAt: r.started_at == null ? undefined : Number(r.started_at),
      endedAt: r.ended_at == null ? undefined : Number(r.ended_at),
      output: r.output ?? undefined,
      error: r.error ?? undefined,
      requestVersion: r.request_version,
      forceStepPlan: r.force_step_plan,
      pending: new Set(r.pending),
      memos: new Map(memoRows.rows.map((m) => [m.hash, m.memo])),
      stack: memoRows.rows.map((m) => m.hash),
      priority: r.priority,
      concurrency: r.concurrency,
      singletonKey: r.singleton_key ?? undefined,
      parent: r.parent ?? undefined,
      replayOf: r.replay_of ?? undefined,
      cancelReason: r.cancel_reason ?? undefined,
    };
    if (!ENDED.has(run.status)) this.runs.set(id, run);
    return run;
  }

  beginDispatch(runId: string): void {
    this.active.set(runId, (this.active.get(runId) ?? 0) + 1);
  }

  endDispatch(runId: string): void {
    const n = (this.active.get(runId) ?? 1) - 1;
    if (n <= 0) this.active.delete(runId);
    else this.active.set(runId, n);
    this.maybeEvict(runId);
  }

  /** Keeps memory flat with many sleeping or waiting runs: a run with nothing due soon is reloaded when needed. */
  maybeEvict(runId: string, evenIfDue = false): void {
    if (this.active.has(runId)) return;
    const run = this.runs.get(runId);
    // An ended run stays until finishRun's own commit completes (its after-commit callback drops it).
    if (!run || ENDED.has(run.status)) return;
    if (evenIfDue) {
      this.runs.delete(runId);
      return;
    }
    const soon = Date.now() + 2000;
    // An in-flight item belongs to a dispatch that is finishing (counted in `active` while it runs).
    const dueSoon = this.scheduler.itemsOf(runId).some((i) => i.at <= soon && this.scheduler.whereIs(i)?.place !== "inflight");
    if (dueSoon) return;
    this.runs.delete(runId);
  }

  // ---------------------------------------------------------------- queue items

  enqueue(
    u: Unit,
    run: Pick<RunState, "id" | "fnSlug" | "createdAt" | "priority" | "concurrency">,
    kind: ItemKind,
    stepId: string,
    opts: {
      attempt?: number;
      at?: number;
      isStart?: boolean;
      throttleKey?: string;
      data?: Record<string, unknown>;
      wait?: QueueItem["wait"];
    } = {},
  ): QueueItem {
    const item: QueueItem = {
      id: ulid(),
      runId: run.id,
      fnSlug: run.fnSlug,
      kind,
      stepId,
      attempt: opts.attempt ?? 0,
      at: opts.at ?? Date.now(),
      score: run.createdAt - run.priority * 1000,
      isStart: opts.isStart ?? false,
      concurrency: kind === "exec" ? run.concurrency : [],
      throttleKey: opts.throttleKey,
      data: opts.data,
      wait: opts.wait,
      seq: this.scheduler.nextSeq(),
    };
    this.journal.putItem(item);
    u.after.push(() => {
      if (this.endedRecently.has(item.runId)) {
        this.journal.deleteItem(item.id);
        void this.journal.commit().catch(() => {});
        return;
      }
      this.scheduler.add(item);
    });
    return item;
  }

  /** Discovery (stepId "step") once nothing is pending. */
  maybeDiscover(u: Unit, run: RunState): void {
    if (ENDED.has(run.status) || run.pending.size > 0) return;
    run.forceStepPlan = false;
    this.enqueue(u, run, "exec", "step");
    this.journal.saveRun(run);
  }

  /** Records a step's memoized result; false if it was already recorded (a duplicate answer). */
  setMemo(run: RunState, hash: string, memo: unknown): boolean {
    if (run.memos.has(hash)) return false;
    run.memos.set(hash, memo);
    run.stack.push(hash);
    this.journal.putMemo(run.id, hash, run.stack.length, memo);
    return true;
  }

  tooManySteps(run: RunState): boolean {
    return run.stack.length >= MAX_STEPS;
  }

  backoff(attempt: number, retryAfterMs?: number): number {
    return retryAfterMs ?? backoffDelay(this.opts.backoff, attempt);
  }

  history(row: Omit<HistoryRow, "id"> & { id?: string }): HistoryRow {
    const h: HistoryRow = { ...row, id: row.id ?? ulid() };
    this.journal.putHistory(h);
    return h;
  }

  // ---------------------------------------------------------------- pauses

  addPause(u: Unit, p: Pause): void {
    this.journal.putPause(p);
    u.after.push(() => this.armPause(p));
  }

  armPause(p: Pause): void {
    if (this.endedRecently.has(p.runId)) {
      // The run ended while this pause's batch was being committed: drop it instead of waiting for its expiry.
      this.journal.deletePause(p.id);
      void this.journal.commit().catch(() => {});
      return;
    }
    if (!this.pauses.add(p)) return;
    this.pauseTimers.set(
      p.id,
      this.timers.at(p.expiresAt, () => void this.expirePause(p.id)),
    );
  }

  removePause(p: Pause): void {
    this.pauses.remove(p);
    this.journal.deletePause(p.id);
    this.timers.cancel(this.pauseTimers.get(p.id));
    this.pauseTimers.delete(p.id);
  }

  private async expirePause(id: string): Promise<void> {
    this.pauseTimers.delete(id);
    const p = this.pauses.get(id);
    if (!p) return;
    const u = new Unit();
    this.removePause(p);
    if (p.kind === "wait" && p.stepHash) {
      this.enqueueResume(u, p.runId, p.data.fnSlug, p.stepHash, null, { timedOut: true, historyKind: "wait" });
    } else if (p.kind === "invoke" && p.stepHash) {
      this.enqueueResume(
        u,
        p.runId,
        p.data.fnSlug,
        p.stepHash,
        {
          error: {
            name: "InngestInvokeTimeoutError",
            message: "Timed out waiting for invoked function to complete",
            error: "InngestInvokeTimeoutError: Timed out waiting for invoked function to complete",
          },
        },
        { timedOut: true, historyKind: "invoke" },
      );
    }
    await this.commit(u).catch((err) => this.log.error({ err }, "pause expiry not recorded"));
  }

  /** Durable "apply this memo to that step": used for sleeps, matched waits, invoke results and timeouts. */
  enqueueResume(
    u: Unit,
    runId: string,
    fnSlug: string,
    stepHash: string,
    memo: unknown,
    detail: Record<string, unknown> = {},
    at?: number,
  ): QueueItem {
    return this.enqueue(u, { id: runId, fnSlug, createdAt: 0, priority: 0, concurrency: [] }, "resume", stepHash, {
      at,
      data: { memo, ...detail },
    });
  }

  enqueueCancel(u: Unit, runId: string, fnSlug: string, reason: string): void {
    this.enqueue(u, { id: runId, fnSlug, createdAt: 0, priority: 0, concurrency: [] }, "cancel", "cancel", { data: { reason } });
  }

  // ---------------------------------------------------------------- run lifecycle

  createRun(
    u: Unit,
    fn: FnDef,
    events: EventRecord[],
    extra: { parent?: RunState["parent"]; replayOf?: string; batchId?: string } = {},
  ): RunState {
    const now = Date.now();
    const wire = events.map(toWire);
    const trigger = wire[0] as WireEvent;
    const vars = { event: trigger };
    let priority = 0;
    if (fn.priorityExpr) {
      try {
        const v = evaluate(fn.priorityExpr, vars);
        if (typeof v === "number" && Number.isInteger(v)) priority = Math.max(-PRIORITY_LIMIT, Math.min(PRIORITY_LIMIT, v));
      } catch {
        // Inngest ignores a priority expression that fails: factor 0.
      }
    }
    const concurrency = fn.concurrency.map((c) => {
      const value = c.key ? evaluateKey(c.key, vars) : undefined;
      const key = c.scope === "fn" ? `fn:${fn.slug}${value === undefined ? "" : `:${value}`}` : `${c.scope}:${value}`;
      return { key, limit: c.limit, label: value === undefined ? `function ${fn.slug}` : `key ${value}` };
    });
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
      priority,
      concurrency,
      parent: extra.parent,
      replayOf: extra.replayOf,
    };
    if (fn.singleton) {
      run.singletonKey = `${fn.slug}|${fn.singleton.key ? evaluateKey(fn.singleton.key, vars) : ""}`;
      this.singletons.set(run.singletonKey, run.id);
    }
    this.runs.set(run.id, run);
    this.journal.insertRun(run);
    this.counters.runsStarted++;
    const throttleKey = fn.throttle ? `${fn.slug}|${fn.throttle.key ? evaluateKey(fn.throttle.key, vars) : ""}` : undefined;
    const at = Math.max(trigger.ts, now);
    this.enqueue(u, run, "exec", "step", {
      isStart: true,
      throttleKey,
      at,
      wait: at > now ? { reason: "delayed", until: at } : undefined,
    });
    for (const c of fn.cancel) {
      this.addPause(u, {
        id: `${run.id}:c${fn.cancel.indexOf(c)}`,
        runId: run.id,
        kind: "cancel",
        event: c.event,
        expr: c.if,
        expiresAt: now + c.timeoutMs,
        data: { trigger, triggerInternalId: events[0]?.internalId, fnSlug: fn.slug },
      });
    }
    u.after.push(() => {
      this.armRunTimeouts(run, fn);
      // Behind a long backlog this run will not start soon: keep its state in the database, not in memory.
      const waiting = this.scheduler.counts;
      if (waiting.ready + waiting.blocked + waiting.parked > this.opts.evictBacklogAbove) this.maybeEvict(run.id, true);
    });
    return run;
  }

  /** timeouts.start / timeouts.finish: a cancel item at the deadline (re-armed from the run row after a restart). */
  armRunTimeouts(run: Pick<RunState, "id" | "fnSlug" | "createdAt" | "startedAt" | "status">, fn: FnDef): void {
    const handles: TimerHandle[] = [];
    if (fn.timeouts.startMs && run.status === "queued") {
      this.startTimers.set(
        run.id,
        this.timers.at(run.createdAt + fn.timeouts.startMs, () => {
          this.startTimers.delete(run.id);
          const u = new Unit();
          this.enqueueCancel(u, run.id, run.fnSlug, `timeouts.start: not started within ${fn.config.timeouts?.start}`);
          void this.commit(u);
        }),
      );
    }
    if (fn.timeouts.finishMs && run.startedAt !== undefined) {
      handles.push(
        this.timers.at(run.startedAt + fn.timeouts.finishMs, () => {
          const u = new Unit();
          this.enqueueCancel(u, run.id, run.fnSlug, `timeouts.finish: not finished within ${fn.config.timeouts?.finish}`);
          void this.commit(u);
        }),
      );
    }
    if (handles.length) this.runTimers.set(run.id, [...(this.runTimers.get(run.id) ?? []), ...handles]);
  }

  markStarted(run: RunState, fn: FnDef | undefined): void {
    if (run.status !== "queued") return;
    this.timers.cancel(this.startTimers.get(run.id));
    this.startTimers.delete(run.id);
    run.status = "running";
    run.startedAt = Date.now();
    this.journal.saveRun(run);
    if (fn?.timeouts.finishMs) this.armRunTimeouts(run, fn);
  }

  /** Ends a run: drops its queued work and pauses, emits lifecycle events, answers an invoking parent. */
  finishRun(
    u: Unit,
    run: RunState,
    status: Extract<RunStatus, "completed" | "failed" | "cancelled">,
    result: { output?: unknown; error?: SerializedError; reason?: string },
  ): void {
    if (ENDED.has(run.status)) return;
    const now = Date.now();
    run.status = status;
    run.endedAt = now;
    if (status === "completed") run.output = result.output ?? null;
    if (result.error) run.error = result.error;
    if (result.reason) run.cancelReason = result.reason;
    run.pending.clear();
    this.journal.saveRun(run);
    for (const item of this.scheduler.itemsOf(run.id)) {
      this.journal.deleteItem(item.id);
      this.scheduler.remove(item.id);
    }
    for (const p of this.pauses.ofRun(run.id)) this.removePause(p);
    for (const h of this.runTimers.get(run.id) ?? []) this.timers.cancel(h);
    this.runTimers.delete(run.id);
    this.timers.cancel(this.startTimers.get(run.id));
    this.startTimers.delete(run.id);
    if (run.singletonKey && this.singletons.get(run.singletonKey) === run.id) this.singletons.delete(run.singletonKey);
    this.endedRecently.set(run.id, now);
    this.counters.runsEnded++;
    this.lastRunEndedAt = now;

    const trigger = run.events[0];
    const internalTrigger = trigger?.name === "inngest/function.failed" || trigger?.name === "inngest/function.finished";
    if (!internalTrigger) {
      const base: Record<string, unknown> = {
        function_id: run.fnSlug,
        run_id: run.id,
        event: trigger,
        events: run.events,
      };
      const correlation = (trigger?.data as { _inngest?: { correlation_id?: string } })?._inngest?.correlation_id;
      if (correlation) base.correlation_id = correlation;
      if (status === "completed") base.result = run.output;
      else base.error = run.error ?? { name: "Error", message: result.reason ?? status };
      this.emitInternal(u, "inngest/function.finished", { ...base, _inngest: { status } });
      if (status === "failed") this.emitInternal(u, "inngest/function.failed", base, run.id);
      if (status === "cancelled") this.emitInternal(u, "inngest/function.cancelled", base, run.id);
    }
    if (run.parent) {
      const p = this.pauses.forCorrelation(run.parent.correlationId);
      if (p?.stepHash) {
        this.removePause(p);
        const memo =
          status === "completed"
            ? { data: run.output ?? null }
            : {
                error: run.error ?? {
                  name: "Error",
                  message: `invoked function was ${status}${result.reason ? `: ${result.reason}` : ""}`,
                },
              };
        this.enqueueResume(u, p.runId, p.data.fnSlug, p.stepHash, memo, { historyKind: "invoke" });
      }
    }
    u.after.push(() => {
      this.runs.delete(run.id);
      this.lastAnswerAt.delete(run.id);
    });
  }

  /** Cancels a run with a trace entry saying why (API, cancelOn, timeouts, singleton). */
  cancelRun(u: Unit, run: RunState, reason: string): void {
    const now = Date.now();
    this.history({ runId: run.id, kind: "function", attempt: 0, status: "cancelled", startedAt: now, endedAt: now, detail: { reason } });
    this.finishRun(u, run, "cancelled", { reason });
  }

  /** An engine-generated event (lifecycle, invoke, cron): stored and matched like any other. */
  emitInternal(u: Unit, name: string, data: Record<string, unknown>, id?: string): EventRecord {
    const now = Date.now();
    const internalId = ulid(now);
    const ev: EventRecord = { internalId, id: id ?? internalId, name, data, ts: now, receivedAt: now, user: {} };
    this.journal.insertEvent(ev);
    this.eventProcessor(u, ev);
    return ev;
  }

  // ---------------------------------------------------------------- recovery

  /** Rebuilds memory from the database: functions, flow state, active runs, pauses and queue items. */
  async recover(afterLoad: (fns: FnDef[]) => void): Promise<void> {
    const { rows: fnRows } = await this.pool.query(
      `SELECT f.*, a.url AS app_url FROM ${this.s}.functions f JOIN ${this.s}.apps a ON a.id = f.app_id`,
    );
    const defs: FnDef[] = [];
    for (const r of fnRows) {
      try {
        const def = defineFunction(r.app_id, r.config);
        def.paused = r.paused;
        def.archived = r.archived;
        defs.push(def);
      } catch (err) {
        this.log.warn({ err, fn: r.slug }, "stored function config no longer valid; skipped");
      }
    }
    this.registry.setMany(defs);

    const now = Date.now();
    const { rows: stateRows } = await this.pool.query(
      `SELECT kind, key, value, expires_at FROM ${this.s}.state WHERE expires_at IS NULL OR expires_at > $1`,
      [now],
    );
    for (const r of stateRows) {
      this.flow.set(`${r.kind}\u0000${r.key}`, { value: r.value, expiresAt: r.expires_at == null ? null : Number(r.expires_at) });
    }

    const { rows: active } = await this.pool.query(
      `SELECT id, function_slug, status, created_at, started_at, singleton_key FROM ${this.s}.runs WHERE status IN ('queued', 'running')`,
    );
    for (const r of active) {
      if (r.singleton_key) this.singletons.set(r.singleton_key, r.id);
      const fn = this.registry.get(r.function_slug);
      if (fn)
        this.armRunTimeouts(
          {
            id: r.id,
            fnSlug: r.function_slug,
            status: r.status,
            createdAt: Number(r.created_at),
            startedAt: r.started_at == null ? undefined : Number(r.started_at),
          },
          fn,
        );
    }

    // Pauses and items of runs that ended (a crash between two batches can leave them): drop, don't arm.
    await this.pool.query(
      `DELETE FROM ${this.s}.pauses p WHERE NOT EXISTS (SELECT 1 FROM ${this.s}.runs r WHERE r.id = p.run_id AND r.status IN ('queued', 'running'))`,
    );
    await this.pool.query(
      `DELETE FROM ${this.s}.queue q WHERE NOT EXISTS (SELECT 1 FROM ${this.s}.runs r WHERE r.id = q.run_id AND r.status IN ('queued', 'running'))`,
    );
    const { rows: pauseRows } = await this.pool.query(`SELECT * FROM ${this.s}.pauses`);
    for (const r of pauseRows) {
      this.armPause({
        id: r.id,
        runId: r.run_id,
        kind: r.kind,
        event: r.event ?? undefined,
        expr: r.expr ?? undefined,
        expiresAt: Number(r.expires_at),
        stepHash: r.step_hash ?? undefined,
        data: r.data,
      });
    }

    const { rows: itemRows } = await this.pool.query(`SELECT * FROM ${this.s}.queue ORDER BY id`);
    for (const r of itemRows) {
      const d = r.data;
      this.scheduler.add({
        id: r.id,
        runId: r.run_id,
        fnSlug: d.fn,
        kind: r.kind,
        stepId: r.step_id,
        attempt: r.attempt,
        at: Number(r.at),
        score: d.score,
        isStart: d.start,
        concurrency: d.cc ?? [],
        throttleKey: d.tk ?? undefined,
        data: d.d ?? undefined,
        wait: d.w ?? undefined,
        seq: this.scheduler.nextSeq(),
      });
    }

    const { rows: recent } = await this.pool.query(`SELECT internal_id, received_at FROM ${this.s}.events WHERE received_at > $1`, [
      now - RECENT_EVENT_WINDOW_MS,
    ]);
    for (const r of recent) this.recentEvents.set(r.internal_id, Number(r.received_at));
    // Until an app is seen answering, nothing is sent to it: after a restart the app may still be starting, and
    // requests it refuses now would only be held anyway.
    for (const fn of defs)
      if (!fn.archived) this.availability.hold(fn.appId, fn.url, "not seen answering since the engine started", { quiet: true });
    afterLoad(defs);
    this.log.info(
      { functions: defs.length, activeRuns: active.length, pauses: pauseRows.length, queued: itemRows.length },
      "engine state recovered",
    );
  }

  // ---------------------------------------------------------------- leadership

  private leaderClient: pg.PoolClient | undefined;
  private leaderTimer: NodeJS.Timeout | undefined;
  readonly instanceId = ulid();
  isLeader = false;

  /**
   * One active engine per database: a session advisory lock (exclusive on real PostgreSQL) plus a lease row
   * (PGlite serves every connection from one backend, where advisory locks cannot exclude). Waits on standby.
   */
  async acquireLeadership(isStopping: () => boolean): Promise<boolean> {
    // Per schema: engines on other schemas of the same database are independent and must not wait on each other.
    const lockKey = `jobdeck-engine:${this.s}`;
    let announced = false;
    while (!isStopping()) {
      const client = await this.pool.connect();
      let ok = false;
      try {
        const { rows } = await client.query("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [lockKey]);
        if (rows[0]?.ok) ok = await this.takeLease(client);
        if (ok) {
          this.holdLeaderConnection(client, lockKey);
          this.isLeader = true;
          this.leaderTimer = setInterval(() => void this.renewLease(), Math.max(500, this.opts.leaseTtlMs / 3));
          this.leaderTimer.unref();
          return true;
        }
        await client.query("SELECT pg_advisory_unlock(hashtext($1))", [lockKey]).catch(() => {});
      } finally {
        if (!ok) client.release();
      }
      if (!announced) {
        this.log.info("another engine is active on this database; waiting on standby");
        announced = true;
      }
      await new Promise((r) => setTimeout(r, this.opts.standbyPollMs));
    }
    return false;
  }

  /**
   * The advisory lock lives on this one connection. If the database drops it (a restart, a network blip), the lock
   * is gone with it: take it again on a new connection as soon as the database answers, and only if the lease is
   * still this engine's; if another engine took over meanwhile, exit so that only one engine runs.
   */
  private holdLeaderConnection(client: pg.PoolClient, lockKey: string): void {
    this.leaderClient = client;
    client.on("error", (err) => {
      if (this.leaderClient !== client || !this.isLeader) return;
      this.log.warn({ err }, "lost the connection that holds the engine lock; taking it again when the database answers");
      this.leaderClient = undefined;
      client.release(err);
      void this.retakeLeadership(lockKey);
    });
  }

  private async retakeLeadership(lockKey: string): Promise<void> {
    for (let delay = 250; this.isLeader; delay = Math.min(delay * 2, 2000)) {
      await new Promise((r) => setTimeout(r, delay));
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch {
        continue; // still away
      }
      try {
        const { rows } = await client.query("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [lockKey]);
        const lease = await client.query(`SELECT holder FROM ${this.s}.leader WHERE id = 1`);
        const ours = !lease.rows[0] || lease.rows[0].holder === this.instanceId;
        if (!rows[0]?.ok || !ours) {
          client.release();
          this.log.fatal("another engine took over while the database was away; exiting so that only one engine runs");
          process.exit(3);
        }
        await this.takeLease(client);
        this.holdLeaderConnection(client, lockKey);
        this.log.info("engine lock taken again; carrying on");
        return;
      } catch (err) {
        client.release(err as Error);
      }
    }
  }

  private async takeLease(client: pg.PoolClient): Promise<boolean> {
    const now = Date.now();
    const { rows } = await client.query(`SELECT holder, pid, host, heartbeat_at FROM ${this.s}.leader WHERE id = 1`);
    const cur = rows[0];
    if (cur && cur.holder !== this.instanceId) {
      const fresh = now - Number(cur.heartbeat_at) < this.opts.leaseTtlMs;
      const deadHere = cur.host === hostname() && !pidAlive(cur.pid);
      if (fresh && !deadHere) return false;
    }
    const res = await client.query(
      `INSERT INTO ${this.s}.leader (id, holder, pid, host, heartbeat_at) VALUES (1, $1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, pid = EXCLUDED.pid, host = EXCLUDED.host, heartbeat_at = EXCLUDED.heartbeat_at
       WHERE ${this.s}.leader.holder = $1 OR ${this.s}.leader.heartbeat_at = $5`,
      [this.instanceId, process.pid, hostname(), now, cur ? Number(cur.heartbeat_at) : 0],
    );
    return (res.rowCount ?? 0) > 0;
  }

  private async renewLease(): Promise<void> {
    try {
      const res = await this.pool.query(`UPDATE ${this.s}.leader SET heartbeat_at = $2 WHERE id = 1 AND holder = $1`, [
        this.instanceId,
        Date.now(),
      ]);
      if (res.rowCount === 0) {
        this.log.fatal("lost the engine lease to another instance; exiting so that only one engine runs");
        process.exit(3);
      }
    } catch (err) {
      this.log.warn({ err }, "could not renew the engine lease");
    }
  }

  async releaseLeadership(): Promise<void> {
    if (this.leaderTimer) clearInterval(this.leaderTimer);
    if (!this.isLeader) return;
    this.isLeader = false;
    try {
      await this.pool.query(`DELETE FROM ${this.s}.leader WHERE id = 1 AND holder = $1`, [this.instanceId]);
      await this.leaderClient?.query("SELECT pg_advisory_unlock_all()");
    } catch {
      // the database may already be gone at shutdown
    }
    this.leaderClient?.release();
    this.leaderClient = undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
