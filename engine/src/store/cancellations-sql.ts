import type pg from "pg";

/** The cancellations table: bulk cancellations (`/v1/cancellations`), kept for listing and deleting. */

export interface CancellationRow {
  id: string;
  created_at: string | number;
  app_id: string;
  function_slug: string;
  started_after: string | number | null;
  started_before: string | number;
  if: string | null;
  cancelled: number;
}

/** Stores a new cancellation (with none cancelled yet). */
export async function insertCancellation(pool: pg.Pool, s: string, row: CancellationRow): Promise<void> {
  await pool.query(
    `INSERT INTO ${s}.cancellations (id, created_at, app_id, function_slug, started_after, started_before, "if", cancelled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 0)`,
    [row.id, row.created_at, row.app_id, row.function_slug, row.started_after, row.started_before, row.if],
  );
}

/** Records how many runs the cancellation cancelled. */
export async function setCancelledCount(pool: pg.Pool, s: string, id: string, cancelled: number): Promise<void> {
  await pool.query(`UPDATE ${s}.cancellations SET cancelled = $2 WHERE id = $1`, [id, cancelled]);
}

/** Every cancellation, newest first. */
export async function selectCancellations(pool: pg.Pool, s: string): Promise<CancellationRow[]> {
  const { rows } = await pool.query<CancellationRow>(`SELECT * FROM ${s}.cancellations ORDER BY id DESC`);
  return rows;
}

/** Deletes one; false when there was none. */
export async function deleteCancellation(pool: pg.Pool, s: string, id: string): Promise<boolean> {
  const { rowCount } = await pool.query(`DELETE FROM ${s}.cancellations WHERE id = $1`, [id]);
  return Boolean(rowCount);
}
