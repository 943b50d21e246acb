import type { Resource } from "@opentelemetry/resources";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { EngineContext } from "../context.js";
import { selectHistoryOfRuns } from "../store/history-sql.js";
import { selectRunSummaries } from "../store/runs-sql.js";
import { selectSpansOfRuns } from "../store/spans-sql.js";
import { ENDED, type RunStatus } from "../types.js";
import { type RunTraceSource, runTraceSpans, type SpanOrigins } from "./trace-spans.js";

/** How long after a run ends it is exported: its end is committed by then, and spans its app flushed late have landed. */
const DELAY_MS = 1000;
/** Runs read from the database at a time. */
const RUNS_PER_READ = 50;
/** Spans per OTLP request (a collector's default request limit is a few MB). */
const SPANS_PER_EXPORT = 1000;
/** Ended runs waiting to be exported; past this, runs are not exported (counted and logged), never held in memory. */
const MAX_QUEUED = 10_000;
/** A run not yet ended in the database (its commit is late), or a read that failed, is tried again this many times. */
const MAX_TRIES = 5;
/** How long `stop()` gives the runs still queued. */
const STOP_GRACE_MS = 1000;

interface Queued {
  runId: string;
  tries: number;
}

interface Loaded {
  exporter: SpanExporter;
  origins: SpanOrigins;
}

/**
 * The OTLP exporter and the resources, loaded on first use: an engine that exports nothing loads none of it. It is
 * OpenTelemetry's own OTLP/HTTP JSON exporter (spans are built as its `ReadableSpan`s), which brings what a collector
 * expects of a client: `OTEL_EXPORTER_OTLP_HEADERS`, timeouts, compression and TLS settings, and its bounded retries
 * of 429/502/503/504.
 */
async function load(ctx: EngineContext, url: string): Promise<Loaded> {
  const [{ OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  const apps = new Map<string, Resource>();
  return {
    exporter: new OTLPTraceExporter({ url, headers: ctx.opts.otlpHeaders }),
    origins: {
      engine: resourceFromAttributes({ "service.name": ctx.opts.otlpServiceName }),
      app(service) {
        let r = apps.get(service);
        if (!r) apps.set(service, (r = resourceFromAttributes({ "service.name": service })));
        return r;
      },
      scope: { name: "jobdeck-engine" },
    },
  };
}

/**
 * Exports every run that ends as one trace to the configured OTLP endpoint (runs/trace-spans.ts builds it). Off the
 * hot path: a run's end only queues its id; a timer reads the queued runs from the database in batches and exports
 * them one request after another. Best effort: the queue is bounded, a failed export is logged and dropped (after the
 * exporter's own few retries), and runs still queued when the engine stops get a short grace, not a durable record.
 */
export class TraceExport {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private loaded: Promise<Loaded> | undefined;
  private dropped = 0;
  private stopped = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly url: string,
  ) {
    ctx.bus.on("run.ended", ({ run }) => this.add({ runId: run.id, tries: 0 }));
  }

  private add(q: Queued): void {
    if (this.queue.length >= MAX_QUEUED) {
      if (this.dropped++ % 1000 === 0) this.ctx.log.warn({ dropped: this.dropped }, "OTLP export queue full: runs not exported");
      return;
    }
    this.queue.push(q);
    this.arm();
  }

  private arm(): void {
    if (this.stopped || this.timer || this.draining || !this.queue.length) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draining = this.drain()
        .catch((err) => this.ctx.log.error({ err }, "OTLP export failed"))
        .finally(() => {
          this.draining = undefined;
          this.arm();
        });
    }, DELAY_MS);
    this.timer.unref();
  }

  /** Exports what is queued now; runs to look at again wait for the next round. */
  private async drain(): Promise<void> {
    const taken = this.queue;
    this.queue = [];
    const again: Queued[] = [];
    for (let i = 0; i < taken.length; i += RUNS_PER_READ) again.push(...(await this.exportRuns(taken.slice(i, i + RUNS_PER_READ))));
    for (const q of again) if (q.tries < MAX_TRIES) this.queue.push(q);
  }

  /** Reads and exports a batch of runs; returns those to try again. */
  private async exportRuns(batch: Queued[]): Promise<Queued[]> {
    const { ctx } = this;
    let sources: RunTraceSource[];
    const again: Queued[] = [];
    try {
      const ids = batch.map((q) => q.runId);
      const [runs, history, spans] = await Promise.all([
        selectRunSummaries(ctx.pool, ctx.s, ids),
        selectHistoryOfRuns(ctx.pool, ctx.s, ids),
        selectSpansOfRuns(ctx.pool, ctx.s, ids),
      ]);
      const byId = new Map(runs.map((r) => [r.id, r]));
      const historyOf = byRun(history);
      const spansOf = byRun(spans);
      sources = [];
      for (const q of batch) {
        const run = byId.get(q.runId);
        if (!run) continue; // deleted meanwhile
        if (!ENDED.has(run.status as RunStatus)) again.push({ ...q, tries: q.tries + 1 });
        else
          sources.push({
            run,
            appId: ctx.registry.get(run.function_slug)?.appId,
            history: historyOf.get(q.runId) ?? [],
            spans: spansOf.get(q.runId) ?? [],
          });
      }
    } catch (err) {
      ctx.log.warn({ err, runs: batch.length }, "OTLP export: reading runs failed");
      return batch.map((q) => ({ ...q, tries: q.tries + 1 }));
    }
    if (sources.length) await this.send(sources);
    return again;
  }

  private async send(sources: RunTraceSource[]): Promise<void> {
    const { ctx } = this;
    let loaded: Loaded;
    try {
      loaded = await (this.loaded ??= load(ctx, this.url));
    } catch (err) {
      ctx.log.error({ err }, "OTLP export: the exporter could not be loaded");
      return;
    }
    const spans = sources.flatMap((src) => runTraceSpans(src, loaded.origins));
    for (let i = 0; i < spans.length; i += SPANS_PER_EXPORT) {
      const chunk = spans.slice(i, i + SPANS_PER_EXPORT);
      const result = await new Promise<{ code: number; error?: Error }>((resolve) => loaded.exporter.export(chunk, resolve));
      if (result.code !== 0)
        ctx.log.warn({ err: result.error, url: this.url, spans: chunk.length }, "OTLP export failed: these spans are dropped");
    }
    ctx.log.debug({ runs: sources.length, spans: spans.length }, "runs exported over OTLP");
  }

  /**
   * Exports what is still queued and shuts the exporter down, for a second at most: a collector that does not answer
   * must not hold the engine's stop (the launcher gives the whole stop a few seconds).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const last = (async () => {
      await this.draining;
      if (this.queue.length) await this.drain();
      await (await this.loaded?.catch(() => undefined))?.exporter.shutdown();
    })().catch((err) => this.ctx.log.warn({ err }, "OTLP export: stopping failed"));
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([last, new Promise<void>((resolve) => (timeout = setTimeout(resolve, STOP_GRACE_MS)))]);
    clearTimeout(timeout);
  }
}

/** Rows by the run they belong to. */
function byRun<T>(rows: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const id = (r as { run_id: string }).run_id;
    const list = out.get(id);
    if (list) list.push(r);
    else out.set(id, [r]);
  }
  return out;
}
