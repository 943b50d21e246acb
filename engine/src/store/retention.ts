import type pg from "pg";
import { ENDED_SQL } from "./statuses.js";

export interface PruneResult {
  runs: number;
  events: number;
}

/**
 * Deletes history past retention: runs that ended before `before` (with their memos, trace, userland spans and any leftover
 * queue items or pauses), events received before it that no remaining run refers to, and bulk-cancellation records. Works in batches so each
 * statement stays short; only cold rows are touched, none of which the in-memory state is still acting on.
 */
export async function pruneHistory(pool: pg.Pool, schema: string, before: number, batch = 1000): Promise<PruneResult> {
  const s = schema;
  let runs = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `WITH doomed AS (
         SELECT id FROM ${s}.runs WHERE status IN ${ENDED_SQL} AND ended_at < $1 ORDER BY id LIMIT $2
       ),
       m AS (DELETE FROM ${s}.memos WHERE run_id IN (SELECT id FROM doomed)),
       h AS (DELETE FROM ${s}.history WHERE run_id IN (SELECT id FROM doomed)),
       sp AS (DELETE FROM ${s}.spans WHERE run_id IN (SELECT id FROM doomed)),
       q AS (DELETE FROM ${s}.queue WHERE run_id IN (SELECT id FROM doomed)),
       p AS (DELETE FROM ${s}.pauses WHERE run_id IN (SELECT id FROM doomed))
       DELETE FROM ${s}.runs WHERE id IN (SELECT id FROM doomed)`,
      [before, batch],
    );
    runs += rowCount ?? 0;
    if ((rowCount ?? 0) < batch) break;
  }
  let events = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM ${s}.events WHERE internal_id IN (
         SELECT e.internal_id FROM ${s}.events e
          WHERE e.received_at < $1 AND NOT EXISTS (SELECT 1 FROM ${s}.runs r WHERE r.event_ids @> ARRAY[e.internal_id])
          ORDER BY e.internal_id LIMIT $2)`,
      [before, batch],
    );
    events += rowCount ?? 0;
    if ((rowCount ?? 0) < batch) break;
  }
  // A bulk cancellation's record goes with the history it acted on (it has already been applied).
  await pool.query(`DELETE FROM ${s}.cancellations WHERE created_at < $1`, [before]);
  return { runs, events };
}
