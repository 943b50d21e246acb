/**
 * `npm run dev` (and `npm start` with --prod): the whole local system in one command.
 *  1. the database: DATABASE_URL if set, else the embedded PostgreSQL in .data/pglite (JOBDECK_DATA_DIR);
 *  2. migrations (the offline migrator);
 *  3. the embedded engine on 127.0.0.1:8288 (ENGINE_PORT), unless the app is pointed at a real Inngest
 *     (INNGEST_BASE_URL, INNGEST_DEV=<url>, or INNGEST_SIGNING_KEY for Cloud). It requires this installation's
 *     keys (scripts/lib/stack-keys.ts) on its management and event APIs; with --prod the app runs the SDK in cloud
 *     mode with the same signing key, so /api/inngest refuses unsigned requests;
 *  4. Next.js (`next dev`, or `next start` with --prod, building first when no build exists) on PORT (3000);
 *  5. the engine syncs the app; the URLs are printed. Ctrl-C stops everything; the next start resumes every run.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { Engine } from "../engine/src/engine.js";
import { parseDuration } from "../engine/src/util/duration.js";
import { deploy } from "./db/migrator.js";
import { startEmbeddedPostgres } from "./lib/embedded-postgres.js";
import { stackKeys, stackKeysPath, writeStackInfo } from "./lib/stack-keys.js";

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

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
}

async function main(): Promise<void> {
  const stops: Array<() => Promise<void>> = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("\nstopping…");
    for (const stop of stops.reverse()) await stop().catch((err) => log.error({ err }, "stop failed"));
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  try {
    const dataDir = env.JOBDECK_DATA_DIR || join(".data", "pglite");
    let databaseUrl = env.DATABASE_URL;
    if (!databaseUrl) {
      const pgEmbedded = await startEmbeddedPostgres({ dataDir });
      stops.push(() => pgEmbedded.stop());
      databaseUrl = pgEmbedded.url;
      say(`database   embedded PostgreSQL (${pgEmbedded.dataDir}) at ${databaseUrl}`);
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
    let engine: Engine | undefined;
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
        logger: log.child({ name: "engine" }),
      });
      await engine.start();
      stops.push(() => (engine as Engine).stop());
      Object.assign(appEnv, {
        INNGEST_SIGNING_KEY: keys.signingKey,
        INNGEST_EVENT_KEY: keys.eventKey,
        // The URL the SDK registers is this one, whatever Host header a request to /api/inngest carries.
        INNGEST_SERVE_ORIGIN: appOrigin,
        WEBHOOK_SIGNING_SECRET: env.WEBHOOK_SIGNING_SECRET || keys.webhookSecret,
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
    }

    const nextBin = join("node_modules", "next", "dist", "bin", "next");
    if (prod && !existsSync(join(env.NEXT_DIST_DIR || ".next", "BUILD_ID"))) {
      say("building   no production build yet: running next build");
      const b = spawnSync(process.execPath, [nextBin, "build"], { stdio: "inherit", env: appEnv as NodeJS.ProcessEnv });
      if (b.status !== 0) throw new Error("next build failed");
    }
    // `npm run bench:stack -- --profile` asks for a CPU profile of Next.js (--cpu-prof is refused in NODE_OPTIONS).
    const profile = process.env.JOBDECK_CPU_PROFILE_DIR ? ["--cpu-prof", "--cpu-prof-dir", process.env.JOBDECK_CPU_PROFILE_DIR] : [];
    const next: ChildProcess = spawn(process.execPath, [...profile, nextBin, prod ? "start" : "dev", "-p", String(port), "-H", appHost], {
      stdio: "inherit",
      env: appEnv as NodeJS.ProcessEnv,
    });
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          if (next.exitCode !== null) return resolve();
          next.once("exit", () => resolve());
          next.kill("SIGTERM");
        }),
    );
    next.on("exit", (code) => {
      if (!stopping) {
        log.error({ code }, "Next.js exited");
        void shutdown(code ?? 1);
      }
    });

    await waitFor(`${appOrigin}/api/inngest`, prod ? 60_000 : 180_000);
    if (engine) {
      engine.apps.addUrl(`${appOrigin}/api/inngest`);
      const synced = await engine.apps.syncAll();
      const failed = synced.filter((s) => !s.ok);
      if (failed.length) log.warn({ failed }, "app sync failed; the engine retries when you POST /v1/apps/sync");
    }
    const removeInfo = writeStackInfo(dataDir, { pid: process.pid, appUrl: appOrigin, engineUrl: engine?.url });
    stops.push(async () => removeInfo());
    say(`app        ${appOrigin}`);
    say("ready      Ctrl-C stops everything");
  } catch (err) {
    log.error({ err }, "start failed");
    await shutdown(1);
  }
}

void main();
