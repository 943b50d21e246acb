import type { Logger } from "pino";

export type BackoffSetting = "inngest" | "fast" | number;

export interface EngineOptions {
  /** PostgreSQL connection string (real PostgreSQL 15+ or the embedded PGlite socket). */
  databaseUrl: string;
  /** Schema holding the engine's tables. Default "engine". */
  schema?: string;
  host?: string;
  /** Default 8288, where INNGEST_DEV=1 looks. 0 picks a free port. */
  port?: number;
  /** Serve endpoints to sync, like `inngest-cli dev -u <url>`. */
  appUrls?: string[];
  /** When set, requests to the app are signed (cloud mode) and /fn/register must carry the hashed key. */
  signingKey?: string;
  signingKeyFallback?: string;
  /** When non-empty, POST /e/:key accepts only these keys. */
  eventKeys?: string[];
  /**
   * Require keys everywhere (the stack `npm run dev` / `npm start` launches does): the management API wants
   * `Authorization: Bearer <signingKey>`, the event API one of `eventKeys`. Needs both to be set.
   */
  requireKeys?: boolean;
  /** Origins whose browser requests are let through (default none: browsers are refused, see api/access.ts). */
  allowedOrigins?: string[];
  /**
   * step.fetch and step.ai.infer run here on a user's behalf, so they may not reach loopback, private, link-local or
   * metadata addresses; these entries (`localhost:4000`, `10.0.0.0/8`, `[::1]`, a host name) are let through.
   */
  outboundAllow?: string[];
  /** Retry delay: "inngest" (15s, 30s, 1m … 2h plus up to 30 s jitter), "fast" (1 s doubling to 1 min), or fixed ms. */
  backoff?: BackoffSetting;
  resyncIntervalMs?: number;
  /** Most SDK requests in flight at once, across all functions. */
  maxInFlight?: number;
  /** The bearer token GET /metrics takes (the signing key is taken too, as self-hosted Inngest does). */
  metricsToken?: string;
  /** Also export this process's own metrics (CPU, memory, event loop) on /metrics: for an engine with a process of its own. */
  processMetrics?: boolean;
  requestTimeoutMs?: number;
  /** Largest accepted event, in bytes of JSON. */
  maxEventBytes?: number;
  /** Largest POST body, in bytes. */
  maxBodyBytes?: number;
  /** How long a standby engine waits between attempts to become active. */
  standbyPollMs?: number;
  /** Lease lifetime for the active engine (the advisory lock is the primary guard on real PostgreSQL). */
  leaseTtlMs?: number;
  poolSize?: number;
  /**
   * Offer the SDK's v4 checkpointing (default true): a discovery request carries `ctx.fn_id`/`ctx.qi_id`, so the SDK
   * runs consecutive steps in one request and records each through `POST /v1/checkpoint/:runId/async`.
   */
  checkpointing?: boolean;
  /** Waiting items (ready, concurrency-blocked, paused) beyond which a new run's state stays in the database until dispatched (default 5000). */
  evictBacklogAbove?: number;
  /** How long ended runs and their events are kept (default 7 days, like a Dev Server you leave running); 0 keeps everything. */
  retentionMs?: number;
  /**
   * An OTLP/HTTP traces endpoint (`http://collector:4318/v1/traces`): when set, every run that ends is exported to it
   * as a trace (the run, a span per step attempt, the spans its code made under their step; runs/trace-export.ts).
   * Unset (the default), nothing is exported and nothing of it is loaded.
   */
  otlpTracesUrl?: string;
  /** Headers sent with every export (a collector's API key); `OTEL_EXPORTER_OTLP_HEADERS` is read as a fallback. */
  otlpHeaders?: Record<string, string>;
  /** `service.name` of the engine's spans in the export (default "jobdeck-engine"); userland spans keep their app's. */
  otlpServiceName?: string;
  /**
   * Where a browser that opens the engine's address is sent: the console (its runs page), as the Inngest Dev Server's
   * address opens its UI. Unset, a browser gets a small page of the engine's links; API clients always get JSON.
   */
  consoleUrl?: string;
  logger?: Logger;
  logLevel?: string;
}

export interface ResolvedOptions
  extends Required<
    Omit<
      EngineOptions,
      "signingKey" | "signingKeyFallback" | "logger" | "logLevel" | "metricsToken" | "otlpTracesUrl" | "otlpHeaders" | "consoleUrl"
    >
  > {
  consoleUrl?: string;
  signingKey?: string;
  signingKeyFallback?: string;
  metricsToken?: string;
  otlpTracesUrl?: string;
  otlpHeaders?: Record<string, string>;
}

export function resolveOptions(o: EngineOptions): ResolvedOptions {
  if (o.requireKeys && (!o.signingKey || !o.eventKeys?.length)) {
    throw new Error("requireKeys needs a signing key (for the management API) and at least one event key (for /e)");
  }
  return {
    databaseUrl: o.databaseUrl,
    schema: o.schema ?? "engine",
    host: o.host ?? "127.0.0.1",
    port: o.port ?? 8288,
    appUrls: o.appUrls ?? [],
    signingKey: o.signingKey || undefined,
    signingKeyFallback: o.signingKeyFallback || undefined,
    metricsToken: o.metricsToken || undefined,
    processMetrics: o.processMetrics ?? false,
    eventKeys: o.eventKeys ?? [],
    requireKeys: o.requireKeys ?? false,
    allowedOrigins: o.allowedOrigins ?? [],
    outboundAllow: o.outboundAllow ?? [],
    backoff: o.backoff ?? "inngest",
    resyncIntervalMs: o.resyncIntervalMs ?? 15_000,
    maxInFlight: o.maxInFlight ?? 128,
    requestTimeoutMs: o.requestTimeoutMs ?? 15 * 60_000,
    maxEventBytes: o.maxEventBytes ?? 3 * 1024 * 1024,
    maxBodyBytes: o.maxBodyBytes ?? 16 * 1024 * 1024,
    standbyPollMs: o.standbyPollMs ?? 1000,
    leaseTtlMs: o.leaseTtlMs ?? 15_000,
    poolSize: o.poolSize ?? 8,
    checkpointing: o.checkpointing ?? true,
    evictBacklogAbove: o.evictBacklogAbove ?? 5000,
    retentionMs: o.retentionMs ?? 7 * 86_400_000,
    otlpTracesUrl: otlpUrl(o.otlpTracesUrl),
    otlpHeaders: o.otlpHeaders,
    otlpServiceName: o.otlpServiceName || "jobdeck-engine",
    consoleUrl: consoleUrl(o.consoleUrl),
  };
}

function consoleUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`consoleUrl: "${url}" is not a URL (give the console's address, http://localhost:3000)`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`consoleUrl: "${url}" is not an http(s) URL`);
  return parsed.origin + parsed.pathname.replace(/\/+$/, "");
}

/**
 * The traces endpoint as OpenTelemetry's environment names it: the signal's own URL as it is, or the base endpoint
 * with `/v1/traces` appended (the OTLP exporter specification's rule). Headers (`OTEL_EXPORTER_OTLP_HEADERS`) and
 * timeouts are read by the exporter itself. For `npm run engine` and a launcher that starts the engine in-process.
 */
export function otlpTracesEndpoint(env: Record<string, string | undefined>): string | undefined {
  if (env.OTEL_SDK_DISABLED === "true") return undefined;
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/+$/, "")}/v1/traces` : undefined;
}

/** An export endpoint is an http(s) URL; a mistyped one fails the start, not every export an hour later. */
function otlpUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`otlpTracesUrl: "${url}" is not a URL (give the collector's traces endpoint, http://host:4318/v1/traces)`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`otlpTracesUrl: "${url}" is not an http(s) URL`);
  return parsed.toString();
}

const TABLE = [15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_200_000, 2_400_000, 3_600_000, 7_200_000];

/** Delay before the next attempt, given the 0-based attempt that just failed. */
export function backoffDelay(setting: BackoffSetting, attempt: number): number {
  if (typeof setting === "number") return setting;
  if (setting === "fast") return Math.min(1000 * 2 ** attempt, 60_000);
  return (TABLE[Math.min(attempt, TABLE.length - 1)] as number) + Math.floor(Math.random() * 30_000);
}
