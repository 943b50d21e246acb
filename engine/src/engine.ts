import type { FastifyInstance } from "fastify";
import { buildHttp } from "./api/http.js";
import { Management } from "./api/management.js";
import { Core } from "./core.js";
import { CronScheduler } from "./cron.js";
import { Ingest } from "./events/ingest.js";
import type { EngineOptions } from "./options.js";
import { Executor } from "./runs/executor.js";
import { type PruneResult, pruneHistory } from "./store/retention.js";
import { Apps } from "./sync/apps.js";

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
  readonly core: Core;
  readonly ingest: Ingest;
  readonly apps: Apps;
  readonly management: Management;
  readonly cron: CronScheduler;
  private readonly executor: Executor;
  private http: FastifyInstance | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private stopping = false;
  private started = false;
  url = "";

  constructor(options: EngineOptions) {
    this.core = new Core(options);
    this.ingest = new Ingest(this.core);
    this.executor = new Executor(this.core);
    this.core.dispatcher = (item) => this.executor.dispatch(item);
    this.cron = new CronScheduler(this.core, (u, fn, ev) => this.ingest.start(u, fn, ev));
    this.apps = new Apps(this.core, this.cron);
    this.management = new Management(this.core, this.ingest);
  }

  get log() {
    return this.core.log;
  }

  /** Migrates, waits to become the active engine, recovers state, listens, and syncs the configured apps. */
  async start(): Promise<void> {
    const c = this.core;
    await c.migrate();
    this.http = buildHttp(
      c,
      this.ingest,
      this.apps,
      this.management,
      () => this.health(),
      (runId, qiId, ops) => this.executor.checkpoint(runId, qiId, ops),
    );
    // Until this engine is the active one and has rebuilt its state, only /health answers: work taken earlier
    // would race recovery (and on a standby, nothing would ever run it).
    this.http.addHook("onRequest", async (req, reply) => {
      if (this.started || req.url === "/health" || req.url.startsWith("/health?")) return;
      return reply.code(503).send({ error: "engine is starting or on standby (another engine is active); retry shortly", status: 503 });
    });
    const address = await this.http.listen({ host: c.opts.host, port: c.opts.port });
    this.url = address.replace("[::1]", "127.0.0.1");
    c.log.info({ url: this.url }, "engine listening");
    const leader = await c.acquireLeadership(() => this.stopping);
    if (!leader) return;
    await c.recover((fns) => {
      this.cron.sync(fns);
      this.ingest.rearm();
    });
    this.started = true;
    this.sweepTimer = setInterval(() => {
      void c.sweepExpired().catch((err) => c.log.warn({ err }, "sweep failed"));
      if (c.opts.retentionMs > 0 && Date.now() - this.lastPrune >= PRUNE_EVERY_MS) void this.pruneHistory();
    }, 60_000);
    this.sweepTimer.unref();
    this.apps.startResync();
    if (c.opts.appUrls.length) void this.apps.syncAll();
  }

  /** Deletes ended runs and events older than the retention (hourly while active; callable for tests and tools). */
  async pruneHistory(now = Date.now()): Promise<PruneResult> {
    this.lastPrune = now;
    const c = this.core;
    try {
      const result = await pruneHistory(c.pool, c.s, now - c.opts.retentionMs);
      if (result.runs || result.events) c.log.info(result, "pruned history past retention");
      return result;
    } catch (err) {
      c.log.warn({ err }, "pruning history failed");
      return { runs: 0, events: 0 };
    }
  }

  /** Stops taking work, lets in-flight requests finish (or be retried after restart), and closes. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const c = this.core;
    this.apps.stop();
    this.cron.stop();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    c.scheduler.stop();
    c.availability.stop();
    const deadline = Date.now() + graceMs;
    while (!c.scheduler.idle && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    c.timers.stop();
    await this.http?.close().catch(() => {});
    await c.journal.close();
    await c.releaseLeadership();
    await c.client.close().catch(() => {});
    await c.pool.end().catch(() => {});
    c.log.info("engine stopped");
  }

  async health(): Promise<Record<string, unknown>> {
    const c = this.core;
    let database = "ok";
    try {
      await c.pool.query("SELECT 1");
    } catch (err) {
      database = `unreachable: ${(err as Error).message}`;
    }
    // A journal that has not been able to write for a while means nothing new is being acknowledged.
    const failingSince = c.journal.stats.failingSince;
    const journalStuck = failingSince !== null && Date.now() - failingSince > 2000;
    const status = database === "ok" && !journalStuck && (this.started || !c.isLeader) ? "ok" : "degraded";
    return {
      status,
      role: c.isLeader ? "active" : "standby",
      database,
      uptime_s: Math.round((Date.now() - c.startedAt) / 1000),
      functions: c.registry.all().filter((f) => !f.archived).length,
      queue: c.scheduler.counts,
      pauses: c.pauses.size,
      runs_in_memory: c.runs.size,
      counters: c.counters,
      latency_ms: { event_to_first_request: c.latency.start.summary(), step_transition: c.latency.transition.summary() },
      last_run_ended_at: c.lastRunEndedAt ? new Date(c.lastRunEndedAt).toISOString() : null,
      journal: c.journal.stats,
      /** Apps whose requests are held because they do not answer (not failures of their functions). */
      apps_unreachable: c.availability.list(),
    };
  }
}

export function createEngine(options: EngineOptions): Engine {
  return new Engine(options);
}
