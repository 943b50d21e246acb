import type { EngineContext } from "./context.js";
import { RECENT_EVENT_WINDOW_MS } from "./events/ingest.js";
import { defineFunction, type FnDef } from "./registry.js";
import type { PauseSystem } from "./runs/pause-system.js";
import type { RunTimeouts } from "./runs/run-timeouts.js";
import { selectRecentEvents } from "./store/events-sql.js";
import { selectFunctionsWithApps } from "./store/functions-sql.js";
import { selectActiveRuns } from "./store/runs-sql.js";
import { selectLiveState } from "./store/state-sql.js";
import { selectTenantWeights } from "./store/tenant-weights-sql.js";
import { deleteWorkOfEndedRuns, selectPauses, selectQueueItems } from "./store/work-sql.js";

/** What recovery hands back to the systems that keep their own memory. */
export interface Recovered {
  functions: FnDef[];
  /** singleton key → active run id */
  singletons: Array<[string, string]>;
  /** internal ids of recent events (a retried send is stored once) */
  recentEvents: Array<[string, number]>;
  counts: { functions: number; activeRuns: number; pauses: number; queued: number };
}

/**
 * Rebuilds memory from the database after a start: functions, flow state, active runs' singletons and timeouts,
 * pauses and queue items (each armed or queued again). Rows of runs that ended are dropped, not armed.
 */
export async function recover(ctx: EngineContext, pauses: PauseSystem, timeouts: RunTimeouts): Promise<Recovered> {
  const { pool, s, registry, clock, flow, scheduler, availability } = ctx;
  const functions: FnDef[] = [];
  for (const r of await selectFunctionsWithApps(pool, s)) {
    try {
      const def = defineFunction(r.app_id, r.config);
      def.paused = r.paused;
      def.archived = r.archived;
      functions.push(def);
    } catch (err) {
      ctx.log.warn({ err, fn: r.slug }, "stored function config no longer valid; skipped");
    }
  }
  registry.setMany(functions);

  const now = clock.now();
  for (const r of await selectLiveState(pool, s, now)) flow.restore(r.kind, r.key, r.value, r.expiresAt ?? null);
  ctx.weights.apply(await selectTenantWeights(pool, s), true);

  const active = await selectActiveRuns(pool, s);
  const singletons: Array<[string, string]> = [];
  for (const r of active) {
    if (r.singleton_key) singletons.push([r.singleton_key, r.id]);
    const fn = registry.get(r.function_slug);
    const times = {
      id: r.id,
      fnSlug: r.function_slug,
      status: r.status,
      createdAt: Number(r.created_at),
      startedAt: r.started_at == null ? undefined : Number(r.started_at),
    };
    if (fn) timeouts.arm(times, fn);
  }

  // Pauses and items of runs that ended (a crash between two batches can leave them): drop, don't arm.
  await deleteWorkOfEndedRuns(pool, s);
  const pauseRows = await selectPauses(pool, s);
  for (const p of pauseRows) pauses.arm(p);
  const items = await selectQueueItems(pool, s);
  for (const item of items) scheduler.add({ ...item, seq: scheduler.nextSeq() });
  const recentEvents = await selectRecentEvents(pool, s, now - RECENT_EVENT_WINDOW_MS);
  // Until an app is seen answering, nothing is sent to it: after a restart the app may still be starting, and
  // requests it refuses now would only be held anyway.
  for (const fn of functions)
    if (!fn.archived) availability.hold(fn.appId, fn.url, "not seen answering since the engine started", { quiet: true });
  return {
    functions,
    singletons,
    recentEvents,
    counts: { functions: functions.length, activeRuns: active.length, pauses: pauseRows.length, queued: items.length },
  };
}
