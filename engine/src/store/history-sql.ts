import type pg from "pg";

/** Reads of the history table (a run's trace; the journal writes it). */

// biome-ignore lint/suspicious/noExplicitAny: history columns are read by name where the trace is shown
export type HistoryTableRow = Record<string, any>;

/** A run's whole trace, in the order its entries started. */
export async function selectHistory(pool: pg.Pool, s: string, runId: string): Promise<HistoryTableRow[]> {
  const { rows } = await pool.query(`SELECT * FROM ${s}.history WHERE run_id = $1 ORDER BY started_at, id`, [runId]);
  return rows;
}

/** The traces of these runs, each run's in the order its entries started. */
export async function selectHistoryOfRuns(pool: pg.Pool, s: string, runIds: string[]): Promise<HistoryTableRow[]> {
  const { rows } = await pool.query(`SELECT * FROM ${s}.history WHERE run_id = ANY($1::text[]) ORDER BY run_id, started_at, id`, [runIds]);
  return rows;
}

/** The names of the steps a run recorded (not the function's own entries, not metadata). */
export async function selectStepNames(pool: pg.Pool, s: string, runId: string): Promise<string[]> {
  const { rows } = await pool.query<{ step_name: string | null }>(
    `SELECT DISTINCT step_name FROM ${s}.history WHERE run_id = $1 AND kind <> 'function' AND kind <> 'metadata' AND step_name IS NOT NULL`,
    [runId],
  );
  return rows.map((r) => r.step_name as string);
}

/** Each of these steps' latest trace entry in the run (metadata aside). */
export async function selectLatestStepEntries(pool: pg.Pool, s: string, runId: string, hashes: string[]): Promise<HistoryTableRow[]> {
  const { rows } = await pool.query(
    `SELECT DISTINCT ON (step_hash) * FROM ${s}.history WHERE run_id = $1 AND step_hash = ANY($2) AND kind <> 'metadata'
         ORDER BY step_hash, started_at DESC, id DESC`,
    [runId, hashes],
  );
  return rows;
}
