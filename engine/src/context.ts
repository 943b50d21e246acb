import { outboundPolicy } from "@jobdeck/outbound-guard";
import type pg from "pg";
import pino, { type Logger } from "pino";
import { EngineBus } from "./bus.js";
import { type Clock, systemClock } from "./clock.js";
import { FlowState } from "./flow/flow-state.js";
import { throttleStart } from "./flow/throttle.js";
import { type EngineOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { SdkClient } from "./protocol/sdk-client.js";
import { Registry } from "./registry.js";
import { Holds } from "./sched/holds.js";
import { Scheduler } from "./sched/scheduler.js";
import { Timers } from "./sched/timers.js";
import { AppAvailability } from "./state/app-availability.js";
import { PauseIndex } from "./state/pause-index.js";
import { RunCache } from "./state/run-cache.js";
import { TenantWeights } from "./state/tenant-weights.js";
import { Journal } from "./store/journal.js";
import { quoteIdent } from "./store/migrate.js";
import { createPool } from "./store/pool.js";
import { EngineMetrics } from "./util/engine-metrics.js";
import { Samples } from "./util/samples.js";

/** Counters and latency samples for /health and the benchmark. */
export interface EngineStats {
  readonly startedAt: number;
  lastRunEndedAt: number | undefined;
  readonly counters: { eventsReceived: number; runsStarted: number; runsEnded: number; requests: number };
  /** Engine-side latency: run created → first request sent, and an answer handled → the run's next request sent. */
  readonly latency: { start: Samples; transition: Samples };
  /** When each active run's last SDK answer was handled (memory only), for transition latency. */
  readonly lastAnswerAt: Map<string, number>;
  /** Each function's recent request durations (memory only), for a queued run's predicted start. */
  readonly requestMs: Map<string, Samples>;
  /** The Prometheus metrics of GET /metrics. */
  readonly metrics: EngineMetrics;
}

/**
 * What every system of the engine shares: its options, log and clock, the database pool and the journal, the
 * in-memory state (registry, run cache, pauses, flow state, the queue) and the HTTP client for apps. Built once;
 * the systems (runs/, events/, sync/, api/) are given it, and nothing is wired in afterwards. It holds only what
 * lies below it (foundations, protocol/, store/, the bus, registry, sched/, flow/, state/), never a system above it:
 * engine/test/unit/layering.test.ts checks that every import points down.
 */
export interface EngineContext {
  readonly opts: ResolvedOptions;
  readonly log: Logger;
  readonly clock: Clock;
  readonly bus: EngineBus;
  readonly pool: pg.Pool;
  /** The engine's schema, quoted for SQL. */
  readonly s: string;
  readonly journal: Journal;
  readonly registry: Registry;
  readonly timers: Timers;
  readonly flow: FlowState;
  readonly holds: Holds;
  readonly scheduler: Scheduler;
  readonly pauses: PauseIndex;
  readonly runs: RunCache;
  readonly client: SdkClient;
  readonly availability: AppAvailability;
  /** Tenants' weights in the fair share of slots (the scheduler reads them). */
  readonly weights: TenantWeights;
  readonly stats: EngineStats;
}

export function createContext(options: EngineOptions & { clock?: Clock }): EngineContext {
  const opts = resolveOptions(options);
  const log = options.logger ?? pino({ name: "engine", level: options.logLevel ?? "info" });
  const clock = options.clock ?? systemClock;
  const bus = new EngineBus(log);
  const pool = createPool(opts, log);
  const metrics = new EngineMetrics({ processMetrics: opts.processMetrics });
  const journal = new Journal(
    pool,
    opts.schema,
    log,
    clock,
    (r) => bus.emit("row.refused", r),
    (ms) => metrics.journalFlush.observe(ms / 1000),
  );
  const registry = new Registry();
  const timers = new Timers(clock);
  const flow = new FlowState(journal, clock, timers);
  const holds = new Holds(registry);
  const weights = new TenantWeights();
  const scheduler = new Scheduler(
    timers,
    clock,
    {
      isHeld: (slug) => holds.isHeld(slug),
      throttle: (item, now) => throttleStart(flow, registry, item, now),
      onReady: () => bus.emit("queue.ready", {}),
      weightOf: (tenant) => weights.weightOf(tenant),
    },
    opts.maxInFlight,
  );
  const client = new SdkClient({
    signingKey: opts.signingKey,
    serverKind: opts.signingKey ? "cloud" : "dev",
    requestTimeoutMs: opts.requestTimeoutMs,
    connections: Math.max(16, opts.maxInFlight),
    outbound: outboundPolicy(opts.outboundAllow, "the engine's --allow-outbound"),
  });
  const runs = new RunCache(pool, quoteIdent(opts.schema), scheduler, opts.evictBacklogAbove, clock);
  return {
    opts,
    log,
    clock,
    bus,
    pool,
    s: quoteIdent(opts.schema),
    journal,
    registry,
    timers,
    flow,
    holds,
    scheduler,
    pauses: new PauseIndex(),
    runs,
    client,
    availability: new AppAvailability(client, holds, scheduler, log, clock, bus),
    weights,
    stats: {
      startedAt: clock.now(),
      lastRunEndedAt: undefined,
      counters: { eventsReceived: 0, runsStarted: 0, runsEnded: 0, requests: 0 },
      latency: { start: new Samples(), transition: new Samples() },
      lastAnswerAt: new Map(),
      requestMs: new Map(),
      metrics,
    },
  };
}
