import { randomBytes } from "node:crypto";
import { callJson, until } from "@jobdeck/test-kit";
import type { Inngest, InngestFunction } from "inngest";
import pino from "pino";
import { inject } from "vitest";
import { STATUS_LABEL } from "../../src/api/run-filter.js";
import type { SkipReason } from "../../src/bus.js";
import type { Clock } from "../../src/clock.js";
import { Engine, type EngineOptions } from "../../src/engine.js";
import { ENDED_STATUSES } from "../../src/types.js";
import { createClient, startApp, type TestApp } from "./sdk-app.js";

export const databaseUrl = (): string => inject("databaseUrl");
export const databaseKind = (): string => inject("databaseKind");

export function uniqueSchema(prefix = "t"): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

const ENDED_LABELS: ReadonlySet<unknown> = new Set(ENDED_STATUSES.map((s) => STATUS_LABEL[s]));
/** Whether a run's status label (as the API shows it) is one of an ended run: Completed, Failed or Cancelled. */
export const hasEnded = (status: unknown): boolean => ENDED_LABELS.has(status);

const quiet = pino({ level: process.env.ENGINE_TEST_LOG ?? "silent" });

/** An engine on a fresh schema and a free port, with a short fixed retry delay. */
export async function startEngine(opts: Partial<EngineOptions> & { clock?: Clock } = {}): Promise<Engine> {
  const engine = new Engine({
    databaseUrl: databaseUrl(),
    schema: uniqueSchema(),
    port: 0,
    backoff: 50,
    resyncIntervalMs: 0,
    logger: quiet,
    ...opts,
  });
  await engine.start();
  return engine;
}

/** What flow control decided for each event: runs created and events skipped (with why), per function. */
export interface Decisions {
  created(fnSlug: string): string[];
  skipped(fnSlug: string): Array<{ eventId: string; reason: SkipReason }>;
}

/** Records every run.created and run.skipped of the engine from now on. */
export function recordDecisions(engine: Engine): Decisions {
  const created = new Map<string, string[]>();
  const skipped = new Map<string, Array<{ eventId: string; reason: SkipReason }>>();
  engine.events.on("run.created", ({ run }) => created.set(run.fnSlug, [...(created.get(run.fnSlug) ?? []), run.id]));
  engine.events.on("run.skipped", ({ fnSlug, eventId, reason }) =>
    skipped.set(fnSlug, [...(skipped.get(fnSlug) ?? []), { eventId, reason }]),
  );
  return { created: (f) => created.get(f) ?? [], skipped: (f) => skipped.get(f) ?? [] };
}

export interface Rig {
  engine: Engine;
  client: Inngest;
  app: TestApp;
  /** Flow-control decisions, recorded from the rig's start (each is made before the event API answers). */
  decisions: Decisions;
  stop(): Promise<void>;
}

/** Engine + SDK app serving `functions`, synced and ready. */
export async function rig(
  appId: string,
  build: (client: Inngest) => InngestFunction.Any[],
  engineOpts: Partial<EngineOptions> & { clock?: Clock } = {},
  clientOpts: Record<string, unknown> = {},
): Promise<Rig> {
  const engine = await startEngine(engineOpts);
  const decisions = recordDecisions(engine);
  const client = createClient(appId, engine.url, clientOpts);
  const app = await startApp(client, build(client));
  const res = await engine.apps.syncUrl(app.url);
  if (!res.ok) throw new Error(`sync failed: ${res.error}`);
  return {
    engine,
    client,
    app,
    decisions,
    async stop() {
      await app.close();
      await engine.stop(1000);
    },
  };
}

type RunView = Awaited<ReturnType<Engine["api"]["runs"]["get"]>>["data"];

/** Runs of a function (newest first), optionally filtered by status label. */
export async function runsOf(engine: Engine, fnSlug: string, status?: string) {
  const res = await engine.api.runs.list({ functionSlug: fnSlug, limit: 500 });
  return res.data.filter((r) => !status || r.status === status);
}

/** Waits until `count` runs of the function ended, then returns their full views (oldest first). */
export async function endedRuns(engine: Engine, fnSlug: string, count = 1, timeoutMs = 20_000): Promise<RunView[]> {
  const runs = await until(
    `${count} ended run(s) of ${fnSlug}`,
    async () => {
      const all = await runsOf(engine, fnSlug);
      const ended = all.filter((r) => hasEnded(r.status));
      return ended.length >= count ? ended : undefined;
    },
    timeoutMs,
  );
  const views: RunView[] = [];
  for (const r of runs.reverse()) views.push((await engine.api.runs.get(r.run_id as string)).data);
  return views;
}

/** Waits until the runs started by these events (internal ids, as `send` returns them) ended; their full views. */
export async function endedRunsOf(engine: Engine, fnSlug: string, eventIds: string[], timeoutMs = 20_000): Promise<RunView[]> {
  const wanted = new Set(eventIds);
  const runs = await until(
    `the runs of ${eventIds.length} event(s) of ${fnSlug} to end`,
    async () => {
      const mine = (await runsOf(engine, fnSlug)).filter((r) => wanted.has(r.event_id as string));
      return mine.length >= eventIds.length && mine.every((r) => hasEnded(r.status)) && mine;
    },
    timeoutMs,
  );
  const views: RunView[] = [];
  for (const r of runs.reverse()) views.push((await engine.api.runs.get(r.run_id as string)).data);
  return views;
}

/** POSTs JSON (or a raw string body, sent as JSON) and reads the answer: `{status, json}`. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const call =
    typeof body === "string"
      ? { body, headers: { "content-type": "application/json", ...headers }, method: "POST" }
      : { json: body, headers };
  const answer = await callJson(url, call);
  return { status: answer.status, json: answer.body };
}
