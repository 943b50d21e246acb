import type pg from "pg";
import type { Pause, QueueItem } from "../types.js";
import { ACTIVE_SQL } from "./statuses.js";

/** The queue and pauses tables read back at start (recovery.ts); the journal writes them. */

/**
 * Deletes queue items and pauses whose run is no longer active: a crash between two batches can leave them, and
 * arming them would act for a run that ended.
 */
export async function deleteWorkOfEndedRuns(pool: pg.Pool, s: string): Promise<void> {
  const endedRun = (table: string, alias: string) =>
    `DELETE FROM ${s}.${table} ${alias} WHERE NOT EXISTS (SELECT 1 FROM ${s}.runs r WHERE r.id = ${alias}.run_id AND r.status IN ${ACTIVE_SQL})`;
  await pool.query(endedRun("pauses", "p"));
  await pool.query(endedRun("queue", "q"));
}

/** Every pause, oldest first (a newer signal wait replaces an older one as they are armed in this order). */
export async function selectPauses(pool: pg.Pool, s: string): Promise<Pause[]> {
  const { rows } = await pool.query(`SELECT * FROM ${s}.pauses ORDER BY id`);
  return rows.map((r) => ({
    id: r.id,
    runId: r.run_id,
    kind: r.kind,
    event: r.event ?? undefined,
    expr: r.expr ?? undefined,
    expiresAt: Number(r.expires_at),
    stepHash: r.step_hash ?? undefined,
    data: r.data,
  }));
}

/** Every queue item, oldest first, without its place in the scheduler's order (`seq`, which it gives anew). */
export async function selectQueueItems(pool: pg.Pool, s: string): Promise<Array<Omit<QueueItem, "seq">>> {
  const { rows } = await pool.query(`SELECT * FROM ${s}.queue ORDER BY id`);
  return rows.map((r) => {
    const d = r.data;
    return {
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
    };
  });
}
