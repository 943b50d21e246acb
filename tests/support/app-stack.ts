import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { until } from "@jobdeck/test-kit";
import pino from "pino";
import { Engine } from "../../engine/src/engine.js";
import { deploy } from "../../scripts/db/migrator.js";
import type { Identity, RequestMeta } from "../../server/identity.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

const quiet = pino({ level: process.env.APP_TEST_LOG ?? "silent" });

/** The keys a launched stack uses (scripts/lib/stack-keys.ts): the engine requires them, the app sends them. */
export const STACK_KEYS = {
  signingKey: `signkey-local-${"5a".repeat(32)}`,
  eventKey: "evtkey-app-stack-0123456789abcdef",
};

/**
 * The app's server side as it runs for real, in the test process: a migrated database, the embedded engine, and
 * the app's own Inngest functions behind the SDK's real `serve()` handler, synced to the engine. Tests drive it
 * through tRPC createCaller (the same procedures the routes serve) and look at rows through Prisma.
 *
 * Call before anything imports the app's modules: they read DATABASE_URL and INNGEST_DEV on first use.
 */
export async function startAppStack(
  env: Record<string, string> = {},
  /** `beforeApp`: runs after the environment is set and before the app's modules load (what instrumentation.ts does first). */
  opts: { engineBackoffMs?: number; beforeApp?: () => Promise<void> } = {},
) {
  const database: TestDatabase = await createTestDatabase();
  await deploy(database.url);
  Object.assign(process.env, {
    DATABASE_URL: database.url,
    NODE_ENV: "test",
    INNGEST_SIGNING_KEY: STACK_KEYS.signingKey,
    INNGEST_EVENT_KEY: STACK_KEYS.eventKey,
    ...env,
  });

  const backoff = opts.engineBackoffMs ?? 50;
  let engine = await startEngine(database.url, 0, backoff);
  const enginePort = Number(new URL(engine.url).port);
  process.env.INNGEST_DEV = engine.url;
  await opts.beforeApp?.();

  const { serve } = await import("inngest/node");
  const { inngest } = await import("../../inngest/client.js");
  const { functions } = await import("../../inngest/index.js");
  const { createCaller } = await import("../../server/api/root.js");
  const { db } = await import("../../server/db.js");
  const { closeDirectPool } = await import("../../server/db-direct.js");
  const { relayOutbox } = await import("../../server/services/outbox/relay-outbox.js");

  const handler = serve({ client: inngest, functions });
  const server: Server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/inngest`;
  const sync = await engine.apps.syncUrl(appUrl);
  if (!sync.ok) throw new Error(`app sync failed: ${sync.error}`);

  return {
    database,
    appUrl,
    db,
    relayOutbox,
    get engine() {
      return engine;
    },
    /** The engine's management API as the app calls it (with the signing key it requires). */
    engineApi(path: string, init: RequestInit = {}) {
      return fetch(`${engine.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${STACK_KEYS.signingKey}`, ...(init.headers as Record<string, string>) },
      });
    },
    /** tRPC as the given user of the given organization (source "dev" like the local identity). */
    caller(orgId: string | null, userId = "user_test", orgRole = "org:admin", request?: RequestMeta) {
      const identity: Identity = { userId, orgId, orgRole, source: "dev" };
      return createCaller({ identity, request });
    },
    anonymous: () => createCaller({ identity: null }),
    /** Takes the engine away (events can no longer be sent), then brings it back on the same port and data. */
    async stopEngine() {
      await engine.stop(1000);
    },
    async restartEngine() {
      engine = await startEngine(database.url, enginePort, backoff);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.stop(1000).catch(() => {});
      await db().$disconnect();
      await closeDirectPool();
      await database.drop();
    },
  };
}

export type AppStack = Awaited<ReturnType<typeof startAppStack>>;

async function startEngine(databaseUrl: string, port: number, backoff: number): Promise<Engine> {
  const engine = new Engine({
    databaseUrl,
    schema: "engine",
    port,
    backoff,
    resyncIntervalMs: 0,
    logger: quiet,
    signingKey: STACK_KEYS.signingKey,
    eventKeys: [STACK_KEYS.eventKey],
    requireKeys: true,
    outboundAllow: (process.env.OUTBOUND_ALLOW ?? "").split(",").filter(Boolean),
  });
  await engine.start();
  return engine;
}

/** Waits until the job is COMPLETED, FAILED or CANCELLED and returns it with its steps. */
export async function finishedJob(api: ReturnType<AppStack["caller"]>, id: string, timeoutMs = 60_000) {
  return until(
    `job ${id} to finish`,
    async () => {
      const j = await api.job.byId({ id });
      return ["COMPLETED", "FAILED", "CANCELLED"].includes(j.status) && j;
    },
    timeoutMs,
  );
}
