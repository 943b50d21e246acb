/**
 * `npm run dev` (and `npm start` with --prod): the whole local system in one command.
 *  1. the database: DATABASE_URL if set, else the embedded PostgreSQL in .data/pglite (JOBDECK_DATA_DIR);
 *  2. migrations (the offline migrator);
 *  3. the embedded engine on 127.0.0.1:8288 (ENGINE_PORT), unless the app is pointed at a real Inngest
 *     (INNGEST_BASE_URL, INNGEST_DEV=<url>, or INNGEST_SIGNING_KEY for Cloud). It requires this installation's
 *     keys (scripts/lib/stack-keys.ts) on its management and event APIs; with --prod the app runs the SDK in cloud
 *     mode with the same signing key, so /api/inngest refuses unsigned requests;
 *  4. Next.js (`next dev`, or `next start` with --prod, building first when no build exists) on PORT (3000);
 *  5. under `npm start`, the functions worker (scripts/launcher/functions-worker.ts) serves the Inngest functions to
 *     the engine outside Next.js; `npm run dev` serves them from /api/inngest;
 *  6. the engine syncs the app; the URLs are printed. Ctrl-C stops everything; the next start resumes every run.
 *
 * The database server, Next.js and the functions worker are supervised children (scripts/launcher/): one that dies is restarted with
 * backoff, one that keeps dying stops the stack with the reason (exit code 1). Ctrl-C (or SIGTERM) stops every
 * child within 10 s and frees every port; a second Ctrl-C kills them at once.
 */
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { Engine } from "../engine/src/engine.js";
import { otlpTracesEndpoint } from "../engine/src/options.js";
import { parseDuration } from "../engine/src/util/duration.js";
import { deploy } from "./db/migrator.js";
import { databaseChild, functionsChild, nextChild } from "./launcher/children.js";
import { retrySync } from "./launcher/retry-sync.js";
import { type ChildStatus, DEFAULT_SUPERVISION, Supervisor } from "./launcher/supervisor.js";
import { type StackInfo, stackInfoPath, stackKeys, stackKeysPath, writeStackInfo } from "./lib/stack-keys.js";

const prod = process.argv.includes("--prod");
const env = process.env;
const port = Number(env.PORT ?? 3000);
const enginePort = Number(env.ENGINE_PORT ?? 8288);
// Next.js listens on this host only. "localhost", not 127.0.0.1: with -H 127.0.0.1, `next start` proxies
// requests that Clerk's middleware rewrites to http://localhost:… back to itself and hangs.
const appHost = env.HOST ?? "localhost";
const log = pino({ name: "jobdeck", level: env.LOG_LEVEL ?? "info" });
const say = (msg: string) => process.stdout.write(`${msg}\n`);

function retryInterval(v: string): "inngest" | "fast" | number {
  return v === "inngest" || v === "fast" ? v : parseDuration(v);
}

function externalInngest(): string | undefined {
  if (env.INNGEST_BASE_URL) return env.INNGEST_BASE_URL;
  if (env.INNGEST_DEV && /^https?:\/\//.test(env.INNGEST_DEV)) return env.INNGEST_DEV;
  if (env.INNGEST_SIGNING_KEY && !env.INNGEST_DEV) return "Inngest Cloud";
  return undefined;
}

/** A stop never takes longer than this; whatever is still running then is killed. */
const STOP_DEADLINE_MS = 9_500;

async function withTimeout(what: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([what, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

async function main(): Promise<void> {
  const dataDir = env.JOBDECK_DATA_DIR || join(".data", "pglite");
  let info: StackInfo | undefined;
  let children: ChildStatus[] = [];
  const publish = () => {
    if (info) writeStackInfo(dataDir, { ...info, children });
  };
  let engine: Engine | undefined;
  let stopping = false;
  const supervisor = new Supervisor({
    ...DEFAULT_SUPERVISION,
    log,
    onChange: (c) => {
      children = c;
      publish();
    },
    onFatal: (reason) => void shutdown(1, reason),
  });

  const removeInfo = () => {
    info = undefined;
    rmSync(stackInfoPath(dataDir), { force: true });
  };
  async function shutdown(code: number, reason?: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    say(reason ? `\nstopping: ${reason}` : "\nstopping…");
    // Whatever hangs, the stack is gone within the deadline.
    setTimeout(() => {
      log.error("stop took too long; killing what is left");
      supervisor.killAll();
      removeInfo();
      process.exit(code || 1);
    }, STOP_DEADLINE_MS).unref();
    removeInfo();
    await supervisor.stop("next");
    if (engine)
      await withTimeout(
        engine.stop().catch((err) => log.error({ err }, "engine stop failed")),
        3_000,
      );
    // After the engine: its last step requests are answered rather than cut.
    await supervisor.stop("functions");
    await supervisor.stop("database");
    process.exit(code);
  }
  // The first Ctrl-C (or SIGTERM) stops in order; a second one does not wait for anything.
  const onSignal = () => {
    if (!stopping) return void shutdown(0);
    say("forced stop");
    supervisor.killAll();
    removeInfo();
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    let databaseUrl = env.DATABASE_URL;
    if (!databaseUrl) {
      let url = "";
      await supervisor.start(databaseChild(dataDir, (u) => (url = u)));
      databaseUrl = url;
      say(`database   embedded PostgreSQL (${dataDir}) at ${databaseUrl}`);
    } else {
      say(`database   ${new URL(databaseUrl).host}${new URL(databaseUrl).pathname}`);
    }

    const applied = await deploy(databaseUrl);
    say(`migrations ${applied.length ? `applied ${applied.join(", ")}` : "up to date"}`);

    if (!existsSync("generated/prisma/client.ts")) {
      spawnSync(process.execPath, ["node_modules/prisma/build/index.js", "generate"], {
        stdio: "inherit",
        env: { ...env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false" },
      });
    }

    const appEnv: Record<string, string | undefined> = {
      ...env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      NEXT_TELEMETRY_DISABLED: env.NEXT_TELEMETRY_DISABLED ?? "1",
      JOBDECK_STACK_INFO_FILE: stackInfoPath(dataDir),
    };
    // Auth: Clerk when its keys are set. Otherwise the development identity, which a production build refuses
    // unless ALLOW_DEV_AUTH=1; on the embedded database (this machine only, never a deployment) it is allowed.
    if (env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY) {
      say("auth       Clerk");
    } else if (prod && env.ALLOW_DEV_AUTH === undefined && !env.DATABASE_URL) {
      appEnv.ALLOW_DEV_AUTH = "1";
      say(
        `auth       development identity ${env.DEV_USER_ID ?? "user_dev"} in ${env.DEV_ORG_ID ?? "org_dev"} (no Clerk keys; local database)`,
      );
    } else {
      say(
        `auth       development identity${prod && appEnv.ALLOW_DEV_AUTH !== "1" ? " refused in production: set Clerk keys or ALLOW_DEV_AUTH=1" : ""}`,
      );
    }

    const external = externalInngest();
    const appOrigin = `http://${appHost}:${port}`;
    if (external) {
      say(`inngest    ${external} (embedded engine not started)`);
    } else {
      const keys = stackKeys(dataDir);
      const outboundAllow = (env.OUTBOUND_ALLOW ?? "").split(",").filter((h) => h.trim());
      engine = new Engine({
        databaseUrl,
        port: enginePort,
        backoff: env.ENGINE_RETRY_INTERVAL ? retryInterval(env.ENGINE_RETRY_INTERVAL) : prod ? "inngest" : "fast",
        resyncIntervalMs: 0,
        retentionMs: env.ENGINE_RETENTION ? parseDuration(env.ENGINE_RETENTION) : undefined,
        signingKey: keys.signingKey,
        eventKeys: [keys.eventKey],
        requireKeys: true,
        outboundAllow,
        metricsToken: env.METRICS_TOKEN || keys.metricsToken,
        // A collector in OTEL_EXPORTER_OTLP_ENDPOINT gets every ended run as a trace (the app sends its own spans there too).
        otlpTracesUrl: otlpTracesEndpoint(env),
        // The launcher's process is the engine's: its CPU, memory and event loop are the engine's to report.
        processMetrics: true,
        // A browser that opens the engine's address (as it would the Dev Server's) is sent to the console's runs page.
        consoleUrl: appOrigin,
        logger: log.child({ name: "engine" }),
      });
      await engine.start();
      Object.assign(appEnv, {
        INNGEST_SIGNING_KEY: keys.signingKey,
        INNGEST_EVENT_KEY: keys.eventKey,
        // The URL the SDK registers is this one, whatever Host header a request to /api/inngest carries.
        INNGEST_SERVE_ORIGIN: appOrigin,
        WEBHOOK_SIGNING_SECRET: env.WEBHOOK_SIGNING_SECRET || keys.webhookSecret,
        METRICS_TOKEN: env.METRICS_TOKEN || keys.metricsToken,
      });
      if (prod) {
        // Cloud mode against the engine: the SDK verifies the engine's signature on every request, syncs included.
        delete appEnv.INNGEST_DEV;
        appEnv.INNGEST_BASE_URL = engine.url;
        appEnv.INNGEST_ENABLE_UNAUTHED_SYNC = "false";
      } else {
        appEnv.INNGEST_DEV = engine.url;
      }
      say(`engine     ${engine.url} (management API under /v1; keys in ${stackKeysPath(dataDir)})`);
      say(`metrics    ${appOrigin}/api/metrics and ${engine.url}/metrics (Bearer <metricsToken from the keys file>)`);
    }

    const nextBin = join("node_modules", "next", "dist", "bin", "next");
    if (prod && !existsSync(join(env.NEXT_DIST_DIR || ".next", "BUILD_ID"))) {
      say("building   no production build yet: running next build");
      const b = spawnSync(process.execPath, [nextBin, "build"], { stdio: "inherit", env: appEnv as NodeJS.ProcessEnv });
      if (b.status !== 0) throw new Error("next build failed");
    }
    // `npm run bench:stack -- --profile` asks for a CPU profile of Next.js (--cpu-prof is refused in NODE_OPTIONS).
    const profile = env.JOBDECK_CPU_PROFILE_DIR ? ["--cpu-prof", "--cpu-prof-dir", env.JOBDECK_CPU_PROFILE_DIR] : [];
    await supervisor.start(nextChild({ prod, host: appHost, port, env: appEnv as NodeJS.ProcessEnv, nodeArgs: profile }));
    // npm start: the embedded engine runs the functions through the functions worker, outside Next.js's request
    // pipeline (about half of a job's CPU on the whole stack went to Next.js serving /api/inngest). `npm run dev`
    // keeps /api/inngest, where edits to a function reload; JOBDECK_FUNCTIONS_WORKER=0 keeps it under npm start too.
    let functionsUrl = `${appOrigin}/api/inngest`;
    if (engine && prod && env.JOBDECK_FUNCTIONS_WORKER !== "0") {
      const { INNGEST_SERVE_ORIGIN: _origin, ...workerEnv } = appEnv;
      const port = Number(env.FUNCTIONS_PORT) || 0;
      const onReady = (url: string) => void (functionsUrl = url);
      await supervisor.start(functionsChild({ port, env: workerEnv as NodeJS.ProcessEnv, nodeArgs: profile, onReady }));
      say(`functions  ${functionsUrl} (served to the engine outside Next.js; /api/inngest serves Inngest Cloud)`);
    }
    if (engine) {
      engine.apps.addUrl(functionsUrl);
      const synced = await engine.apps.syncAll();
      const failed = synced.filter((s) => !s.ok);
      // Until the app is synced the engine knows none of its functions and no job starts, so a first sync that fails
      // (a busy machine: next dev still compiling /api/inngest) is tried again, backing off, until it succeeds.
      if (failed.length) {
        log.warn({ failed }, "app sync failed; trying again");
        void retrySync(engine.apps, functionsUrl, log);
      }
    }
    info = { pid: process.pid, appUrl: appOrigin, engineUrl: engine?.url };
    publish();
    say(`app        ${appOrigin}`);
    say("ready      Ctrl-C stops everything");
  } catch (err) {
    log.error({ err }, "start failed");
    await shutdown(1, (err as Error).message);
  }
}

void main();
