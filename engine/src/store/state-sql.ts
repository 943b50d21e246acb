import type pg from "pg";
import type { StateRow } from "../types.js";

/** The state table: flow control's memory (dedup keys, GCRA times, debounce and batch buffers, cron marks). */

/** Every row not expired at `now`. */
export async function selectLiveState(pool: pg.Pool, s: string, now: number): Promise<StateRow[]> {
  const { rows } = await pool.query(`SELECT kind, key, value, expires_at FROM ${s}.state WHERE expires_at IS NULL OR expires_at > $1`, [
    now,
  ]);
  return rows.map((r) => ({ kind: r.kind, key: r.key, value: r.value, expiresAt: r.expires_at == null ? null : Number(r.expires_at) }));
}

/** Deletes the rows expired at `now` (the sweep; memory drops them as it reads them). */
export async function deleteExpiredState(pool: pg.Pool, s: string, now: number): Promise<void> {
  await pool.query(`DELETE FROM ${s}.state WHERE expires_at IS NOT NULL AND expires_at <= $1`, [now]);
}
