import type { FastifyInstance } from "fastify";
import { CancellationsApi } from "./api/cancellations-api.js";
import { DevApi } from "./api/dev-api.js";
import { EventsApi } from "./api/events-api.js";
import { FunctionsApi } from "./api/functions-api.js";
import { buildHttp, type EngineApi } from "./api/http.js";
import { MetadataApi } from "./api/metadata-api.js";
import { RunsApi } from "./api/runs-api.js";
import { SignalsApi } from "./api/signals-api.js";
import type { EngineBus } from "./bus.js";
import type { Clock } from "./clock.js";
import { createContext, type EngineContext } from "./context.js";
import { CronScheduler } from "./cron.js";
import { FlowControl } from "./events/flow-control.js";
import { Grouping } from "./events/grouping.js";
import { Ingest } from "./events/ingest.js";
import { Leadership } from "./leadership.js";
import type { EngineOptions } from "./options.js";
import { recover } from "./recovery.js";
import { checkpoint } from "./runs/checkpoint.js";
import { Executor } from "./runs/executor.js";
import { RunLifecycle } from "./runs/lifecycle.js";
import { PauseSystem } from "./runs/pause-system.js";
import { RunQueue } from "./runs/queue.js";
import { RetrySystem } from "./runs/retry.js";
import { RunTimeouts } from "./runs/run-timeouts.js";
import type { RunSystems } from "./runs/systems.js";
import { Trace } from "./runs/trace.js";
import { TraceExport } from "./runs/trace-export.js";
import { migrate } from "./store/migrate.js";
import { ping } from "./store/pool.js";
import { type PruneResult, pruneHistory } from "./store/retention.js";
import { deleteExpiredState } from "./store/state-sql.js";
import { Apps } from "./sync/apps.js";

const SWEEP_EVERY_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;

export type { EngineOptions } from "./options.js";

/**
 * The embedded Inngest-compatible engine: speaks the Dev Server's HTTP protocol to unmodified `inngest` SDKs,
 * keeps every state change in PostgreSQL, and resumes all unfinished work after a restart.
 *
 * @example
 * const engine = new Engine({ databaseUrl: "postgres://postgres@127.0.0.1/app", appUrls: ["http://127.0.0.1:3000/api/inngest"] });
 * await engine.start();   // http://127.0.0.1:8288, INNGEST_DEV=1 in the app reaches it
 * await engine.stop();
 */
export class Engine {
  readonly ctx: EngineContext;
  readonly lifecycle: RunLifecycle;
  readonly ingest: Ingest;
  readonly apps: Apps;
  readonly cron: CronScheduler;
  readonly leadership: Leadership;
  /** The `/v1` API's operations, for tools and tests that run the engine in-process. */
  readonly api: Omit<EngineApi, "ctx" | "apps" | "health" | "checkpoint">;
  private readonly sys: RunSystems;
  private readonly timeouts: RunTimeouts;
  private readonly grouping: Grouping;
  /** Exports ended runs over OTLP when `otlpTracesUrl` is set; absent (and nothing of it loaded) otherwise. */
  private readonly traceExport: TraceExport | undefined;
  private http: FastifyInstance | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private stopping = false;
  private started = false;
  url = "";

  constructor(options: EngineOptions & { clock?: Clock }) {
    const ctx = (this.ctx = createContext(options));
    const trace = new Trace(ctx.journal, ctx.clock);
    const queue = new RunQueue(ctx);
    const pauses = new PauseSystem(ctx, queue);
    this.timeouts = new RunTimeouts(ctx, queue);
    this.lifecycle = new RunLifecycle(ctx, queue, pauses, this.timeouts, trace);
    const retry = new RetrySystem({
      trace,
      queue,
      clock: ctx.clock,
      backoff: ctx.opts.backoff,
      onRetry: (fnSlug) => ctx.stats.metrics.stepRetries.inc({ function: fnSlug }),
    });
    this.sys = { ctx, queue, lifecycle: this.lifecycle, pauses, trace, retry };
    this.grouping = new Grouping(ctx, this.lifecycle);
    const flowControl = new FlowControl(ctx, this.lifecycle, queue, this.grouping);
    this.ingest = new Ingest(ctx, pauses, queue, flowControl);
    new Executor(this.sys);
    this.cron = new CronScheduler(ctx, (u, fn, ev) => flowControl.start(u, fn, ev));
    this.apps = new Apps(ctx, this.cron);
    this.leadership = new Leadership(ctx);
    this.traceExport = ctx.opts.otlpTracesUrl ? new TraceExport(ctx, ctx.opts.otlpTracesUrl) : undefined;
    const runs = new RunsApi(ctx, this.lifecycle);
    this.api = {
      runs,
      functions: new FunctionsApi(ctx),
      events: new EventsApi(ctx, this.ingest, runs),
      cancellations: new CancellationsApi(ctx, this.lifecycle),
      signals: new SignalsApi(this.sys),
      metadata: new MetadataApi(ctx, trace),
      dev: new DevApi(ctx, this.ingest),
    };
  }

  get log() {
    return this.ctx.log;
  }

  /** What happens inside, as typed events (run.created, run.skipped, run.ended, item.dispatched…). */
  get events(): EngineBus {
    return this.ctx.bus;
  }

  /** Migrates, waits to become the active engine, recovers state, listens, and syncs the configured apps. */
  async start(): Promise<void> {
    const { ctx } = this;
    const applied = await migrate(ctx.pool, ctx.opts.schema, ctx.clock);
    if (applied.length) ctx.log.info({ applied }, "engine migrations applied");
    this.http = buildHttp({
      ctx,
      apps: this.apps,
      ...this.api,
      health: () => this.health(),
      checkpoint: (runId, qiId, ops) => checkpoint(this.sys, runId, qiId, ops),
    });
    // Until this engine is the active one and has rebuilt its state, only /health answers: work taken earlier
    // would race recovery (and on a standby, nothing would ever run it).
    this.http.addHook("onRequest", async (req, reply) => {
      if (this.started || req.url === "/health" || req.url.startsWith("/health?")) return;
      return reply.code(503).send({ error: "engine is starting or on standby (another engine is active); retry shortly", status: 503 });
    });
    const address = await this.http.listen({ host: ctx.opts.host, port: ctx.opts.port });
    this.url = address.replace("[::1]", "127.0.0.1");
    ctx.log.info({ url: this.url }, "engine listening");
    if (!(await this.leadership.acquire(() => this.stopping))) return;
    await this.recover();
    this.started = true;
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.sweepTimer.unref();
    this.apps.startResync();
    if (ctx.opts.appUrls.length) void this.apps.syncAll();
  }

  private async recover(): Promise<void> {
    const r = await recover(this.ctx, this.sys.pauses, this.timeouts);
    for (const [key, id] of r.singletons) this.lifecycle.singletons.set(key, id);
    for (const [id, at] of r.recentEvents) this.ingest.recent.set(id, at);
    this.cron.sync(r.functions);
    this.grouping.rearm();
    this.ctx.log.info(r.counts, "engine state recovered");
  }

  /** Every minute: expired flow keys go (memory and database), and hourly the history past retention. */
  private async sweep(): Promise<void> {
    const { ctx } = this;
    const now = ctx.clock.now();
    ctx.flow.dropExpired(now);
    this.ingest.sweep(now);
    ctx.runs.sweep(now);
    await deleteExpiredState(ctx.pool, ctx.s, now).catch((err) => ctx.log.warn({ err }, "sweep failed"));
    if (ctx.opts.retentionMs > 0 && now - this.lastPrune >= PRUNE_EVERY_MS) await this.pruneHistory();
  }

  /** Deletes ended runs and events older than the retention (hourly while active; callable for tests and tools). */
  async pruneHistory(now = this.ctx.clock.now()): Promise<PruneResult> {
    const { ctx } = this;
    this.lastPrune = ctx.clock.now();
    try {
      const result = await pruneHistory(ctx.pool, ctx.s, now - ctx.opts.retentionMs);
      if (result.runs || result.events) ctx.log.info(result, "pruned history past retention");
      return result;
    } catch (err) {
      ctx.log.warn({ err }, "pruning history failed");
      return { runs: 0, events: 0 };
    }
  }

  /** Stops taking work, lets in-flight requests finish (or be retried after restart), and closes. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { ctx } = this;
    this.apps.stop();
    this.cron.stop();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    ctx.scheduler.stop();
    ctx.availability.stop();
    const deadline = ctx.clock.now() + graceMs;
    while (!ctx.scheduler.idle && ctx.clock.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    ctx.timers.stop();
    await this.http?.close().catch(() => {});
    await ctx.journal.close();
    // After the journal: the runs that just ended are committed, so the export reads them whole.
    await this.traceExport?.stop();
    await this.leadership.release();
    await ctx.client.close().catch(() => {});
    await ctx.pool.end().catch(() => {});
    ctx.log.info("engine stopped");
  }

  async health(): Promise<Record<string, unknown>> {
    const { ctx } = this;
    let database = "ok";
    try {
      await ping(ctx.pool);
    } catch (err) {
      database = `unreachable: ${(err as Error).message}`;
    }
    // A journal that has not been able to write for a while means nothing new is being acknowledged.
    const failingSince = ctx.journal.stats.failingSince;
    const journalStuck = failingSince !== null && ctx.clock.now() - failingSince > 2000;
    const leader = this.leadership.isLeader;
    const status = database === "ok" && !journalStuck && (this.started || !leader) ? "ok" : "degraded";
    return {
      status,
      role: leader ? "active" : "standby",
      database,
      uptime_s: Math.round((ctx.clock.now() - ctx.stats.startedAt) / 1000),
      functions: ctx.registry.all().filter((f) => !f.archived).length,
      queue: ctx.scheduler.counts,
      /** Concurrency keys with runs waiting for a slot (the 20 longest queues): a free slot here is one left idle. */
      slots_waited_on: ctx.scheduler.slotsWaitedOn(20),
      pauses: ctx.pauses.size,
      runs_in_memory: ctx.runs.size,
      counters: ctx.stats.counters,
      latency_ms: { event_to_first_request: ctx.stats.latency.start.summary(), step_transition: ctx.stats.latency.transition.summary() },
      last_run_ended_at: ctx.stats.lastRunEndedAt ? new Date(ctx.stats.lastRunEndedAt).toISOString() : null,
      journal: ctx.journal.stats,
      /** Apps whose requests are held because they do not answer (not failures of their functions). */
      apps_unreachable: ctx.availability.list(),
    };
  }
}
