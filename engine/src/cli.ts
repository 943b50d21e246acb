#!/usr/bin/env node
import { parseArgs } from "node:util";
import { Engine } from "./engine.js";
import { type BackoffSetting, otlpTracesEndpoint } from "./options.js";
import { parseDuration } from "./util/duration.js";

const HELP = `Usage: npm run engine -- [options]

Runs the Inngest-compatible engine alone, like \`npx inngest-cli dev -u <url>\`.

Options (each also read from the environment variable shown):
  -u, --sdk-url <url>        serve endpoint to sync; repeatable            ENGINE_APP_URLS (comma-separated)
  -p, --port <port>          port to listen on (default 8288)              ENGINE_PORT
      --host <host>          address to bind (default 127.0.0.1)           ENGINE_HOST
      --database-url <url>   PostgreSQL connection string                  ENGINE_DATABASE_URL, DATABASE_URL
      --schema <name>        schema for the engine's tables (engine)       ENGINE_SCHEMA
      --retry-interval <d>   fixed retry delay (e.g. 2s), or "fast"/"inngest"  ENGINE_RETRY_INTERVAL
      --signing-key <key>    sign requests and check /fn/register (cloud mode)  INNGEST_SIGNING_KEY
      --event-key <key>      accept only this event key; repeatable        INNGEST_EVENT_KEY
      --require-keys         management API needs Bearer <signing key>, /e an event key  ENGINE_REQUIRE_KEYS=1
      --allow-outbound <h>   let step.fetch reach this local host, address or CIDR (e.g. localhost:4000); repeatable
                                                                            ENGINE_OUTBOUND_ALLOW (comma-separated)
      --poll-interval <d>    re-sync apps every <d> (default 15s; 0 = off)  ENGINE_POLL_INTERVAL
      --max-in-flight <n>    most concurrent SDK requests (default 128)    ENGINE_MAX_IN_FLIGHT
      --retention <dur>      keep ended runs and events this long (7d; 0 keeps all)  ENGINE_RETENTION
      --metrics-token <t>    bearer token of GET /metrics (the signing key works too)  METRICS_TOKEN
      --otlp-traces-url <u>  export every ended run as a trace to this OTLP/HTTP endpoint
                                                                            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or
                                                                            OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces
      --console-url <u>      send a browser that opens the engine's address to this console (its /runs page)
  -h, --help
`;

function backoff(v: string | undefined): BackoffSetting | undefined {
  if (!v) return undefined;
  if (v === "fast" || v === "inngest") return v;
  return parseDuration(v);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "sdk-url": { type: "string", short: "u", multiple: true },
      port: { type: "string", short: "p" },
      host: { type: "string" },
      "database-url": { type: "string" },
      schema: { type: "string" },
      "retry-interval": { type: "string" },
      "signing-key": { type: "string" },
      "event-key": { type: "string", multiple: true },
      "require-keys": { type: "boolean" },
      "allow-outbound": { type: "string", multiple: true },
      "poll-interval": { type: "string" },
      "max-in-flight": { type: "string" },
      retention: { type: "string" },
      "metrics-token": { type: "string" },
      "otlp-traces-url": { type: "string" },
      "console-url": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const env = process.env;
  const databaseUrl = values["database-url"] ?? env.ENGINE_DATABASE_URL ?? env.DATABASE_URL;
  if (!databaseUrl) {
    process.stderr.write("engine: --database-url (or ENGINE_DATABASE_URL / DATABASE_URL) is required\n\n" + HELP);
    process.exit(2);
  }
  const port = Number(values.port ?? env.ENGINE_PORT ?? 8288);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`engine: --port must be a port number, got "${values.port ?? env.ENGINE_PORT}"\n`);
    process.exit(2);
  }
  const list = (v: string | undefined) =>
    v
      ?.split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  const engine = new Engine({
    databaseUrl,
    port,
    host: values.host ?? env.ENGINE_HOST,
    schema: values.schema ?? env.ENGINE_SCHEMA,
    appUrls: values["sdk-url"] ?? list(env.ENGINE_APP_URLS) ?? [],
    backoff: backoff(values["retry-interval"] ?? env.ENGINE_RETRY_INTERVAL),
    signingKey: values["signing-key"] ?? env.INNGEST_SIGNING_KEY,
    signingKeyFallback: env.INNGEST_SIGNING_KEY_FALLBACK,
    eventKeys:
      values["event-key"] ??
      ((env.ENGINE_REQUIRE_EVENT_KEY === "1" || env.ENGINE_REQUIRE_KEYS === "1") && env.INNGEST_EVENT_KEY ? [env.INNGEST_EVENT_KEY] : []),
    requireKeys: values["require-keys"] ?? env.ENGINE_REQUIRE_KEYS === "1",
    outboundAllow: values["allow-outbound"] ?? list(env.ENGINE_OUTBOUND_ALLOW) ?? [],
    resyncIntervalMs:
      (values["poll-interval"] ?? env.ENGINE_POLL_INTERVAL)
        ? parseDuration(values["poll-interval"] ?? (env.ENGINE_POLL_INTERVAL as string))
        : undefined,
    logLevel: env.ENGINE_LOG_LEVEL,
    retentionMs:
      (values.retention ?? env.ENGINE_RETENTION) ? parseDuration(values.retention ?? (env.ENGINE_RETENTION as string)) : undefined,
    maxInFlight:
      (values["max-in-flight"] ?? env.ENGINE_MAX_IN_FLIGHT) ? Number(values["max-in-flight"] ?? env.ENGINE_MAX_IN_FLIGHT) : undefined,
    metricsToken: values["metrics-token"] ?? env.METRICS_TOKEN,
    otlpTracesUrl: values["otlp-traces-url"] ?? otlpTracesEndpoint(env),
    consoleUrl: values["console-url"],
    otlpServiceName: env.OTEL_SERVICE_NAME,
    processMetrics: true,
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    engine.log.info({ signal }, "shutting down");
    engine.stop().then(
      () => process.exit(0),
      (err) => {
        engine.log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  await engine.start();
}

main().catch((err) => {
  process.stderr.write(`engine: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
