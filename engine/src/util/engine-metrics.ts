import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Seconds buckets of an SDK request or a dispatch: a few milliseconds to the longest request (5 minutes). */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** prom-client's default gauges whose names end in `_total`. */
export const MISNAMED_DEFAULTS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];
const FLUSH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/**
 * The engine's Prometheus metrics (GET /metrics), in a registry of its own so an app in the same process keeps
 * its own. The systems count into the counters and histograms as things happen; the gauges are read from the
 * scheduler and the app registry when scraped (api/metrics-api.ts). Labels are bounded: a function's slug, a run's
 * status, an app's URL.
 *
 * `inngest_queue_depth` is named and meant as self-hosted Inngest's gauge, so autoscaling recipes written for it
 * (KEDA's Prometheus trigger) work unchanged: the work due now and not done, whether running, ready or waiting for
 * a concurrency slot (not sleeps or retries due later, nor a paused function's work).
 */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly eventsReceived: Counter;
  readonly runsStarted: Counter<"function">;
  readonly runsFinished: Counter<"function" | "status">;
  readonly stepRetries: Counter<"function">;
  readonly requestSeconds: Histogram<"function">;
  readonly dispatchLatency: Histogram;
  readonly journalFlush: Histogram;
  readonly queueDepth: Gauge;
  readonly queueItems: Gauge<"state">;
  readonly appReachable: Gauge<"app">;

  constructor(opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.eventsReceived = new Counter({ name: "jobdeck_engine_events_received_total", help: "Events accepted", registers });
    this.runsStarted = new Counter({
      name: "jobdeck_engine_runs_started_total",
      help: "Function runs created",
      labelNames: ["function"],
      registers,
    });
    this.runsFinished = new Counter({
      name: "jobdeck_engine_runs_finished_total",
      help: "Function runs ended, by final status",
      labelNames: ["function", "status"],
      registers,
    });
    this.stepRetries = new Counter({
      name: "jobdeck_engine_step_retries_total",
      help: "Failed attempts (of a function, a step or a step.fetch) queued again",
      labelNames: ["function"],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: "jobdeck_engine_request_seconds",
      help: "Duration of the engine's requests to the app's serve endpoint",
      labelNames: ["function"],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.dispatchLatency = new Histogram({
      name: "jobdeck_engine_dispatch_latency_seconds",
      help: "From a run's creation to its first request to the app (waits for slots, throttles and delays included)",
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.journalFlush = new Histogram({
      name: "jobdeck_engine_journal_flush_seconds",
      help: "Duration of one group commit of the engine's state to the database",
      buckets: FLUSH_BUCKETS,
      registers,
    });
    this.queueDepth = new Gauge({
      name: "inngest_queue_depth",
      help: "Total depth of all system queues including backlog and ready state items",
      registers,
    });
    this.queueItems = new Gauge({
      name: "jobdeck_engine_queue_items",
      help: "Queue items by state: in_flight, ready, waiting_for_slot, paused, scheduled (due later)",
      labelNames: ["state"],
      registers,
    });
    this.appReachable = new Gauge({
      name: "jobdeck_engine_app_reachable",
      help: "1 while the engine can reach an app's serve endpoint, 0 while its requests are held",
      labelNames: ["app"],
      registers,
    });
    // The process's own (CPU, memory, event loop lag, GC), for the engine's process only: tests start many engines
    // in one process and would count them all.
    if (opts.processMetrics) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges prom-client names like counters (promtool refuses a `_total` gauge); the same counts stay available
      // without the suffix (nodejs_active_handles, …).
      for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
    }
  }
}
