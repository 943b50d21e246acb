import type { EngineContext } from "./context.js";
import { RECENT_EVENT_WINDOW_MS } from "./events/ingest.js";
import { defineFunction, type FnDef } from "./registry.js";
import type { PauseSystem } from "./runs/pause-system.js";
import type { RunTimeouts } from "./runs/run-timeouts.js";
import { ACTIVE_SQL } from "./store/statuses.js";

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
  const { rows: fnRows } = await pool.query(`SELECT f.*, a.url AS app_url FROM ${s}.functions f JOIN ${s}.apps a ON a.id = f.app_id`);
  const functions: FnDef[] = [];
  for (const r of fnRows) {
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
  const { rows: stateRows } = await pool.query(
    `SELECT kind, key, value, expires_at FROM ${s}.state WHERE expires_at IS NULL OR expires_at > $1`,
    [now],
  );
  for (const r of stateRows) flow.restore(r.kind, r.key, r.value, r.expires_at == null ? null : Number(r.expires_at));

  const { rows: active } = await pool.query(
    `SELECT id, function_slug, status, created_at, started_at, singleton_key FROM ${s}.runs WHERE status IN ${ACTIVE_SQL}`,
  );
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
  const endedRun = (table: string, alias: string) =>
    `DELETE FROM ${s}.${table} ${alias} WHERE NOT EXISTS (SELECT 1 FROM ${s}.runs r WHERE r.id = ${alias}.run_id AND r.status IN ${ACTIVE_SQL})`;
  await pool.query(endedRun("pauses", "p"));
  await pool.query(endedRun("queue", "q"));
  const { rows: pauseRows } = await pool.query(`SELECT * FROM ${s}.pauses ORDER BY id`);
  for (const r of pauseRows) {
    pauses.arm({
      id: r.id,
      runId: r.run_id,
      kind: r.kind,
      event: r.event ?? undefined,
      expr: r.expr ?? undefined,
      expiresAt: Number(r.expires_at),
      stepHash: r.step_hash ?? undefined,
      data: r.data,
    });
  }
  const { rows: itemRows } = await pool.query(`SELECT * FROM ${s}.queue ORDER BY id`);
  for (const r of itemRows) {
    const d = r.data;
    scheduler.add({
      id: r.id,
      runId: r.run_id,
      fnSlug: d.fnSlug,
      kind: r.kind,
      stepId: r.step_id,
      attempt: r.attempt,
      at: Number(r.at),
      score: d.score,
      isStart: d.isStart,
      concurrency: d.concurrency ?? [],
      throttleKey: d.throttleKey ?? undefined,
      data: d.data ?? undefined,
      wait: d.wait ?? undefined,
      seq: scheduler.nextSeq(),
    });
  }
  const { rows: recent } = await pool.query(`SELECT internal_id, received_at FROM ${s}.events WHERE received_at > $1`, [
    now - RECENT_EVENT_WINDOW_MS,
  ]);
  // Until an app is seen answering, nothing is sent to it: after a restart the app may still be starting, and
  // requests it refuses now would only be held anyway.
  for (const fn of functions)
    if (!fn.archived) availability.hold(fn.appId, fn.url, "not seen answering since the engine started", { quiet: true });
  return {
    functions,
    singletons,
    recentEvents: recent.map((r) => [r.internal_id as string, Number(r.received_at)]),
    counts: { functions: functions.length, activeRuns: active.length, pauses: pauseRows.length, queued: itemRows.length },
  };
}
