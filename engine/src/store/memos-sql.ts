import type pg from "pg";

/** A run's memos (step results), in stack order. */
export async function selectMemos(pool: pg.Pool, s: string, runId: string): Promise<Array<{ hash: string; seq: number; memo: unknown }>> {
  const { rows } = await pool.query<{ hash: string; seq: number; memo: unknown }>(
    `SELECT hash, seq, memo FROM ${s}.memos WHERE run_id = $1 ORDER BY seq`,
    [runId],
  );
  return rows;
}
