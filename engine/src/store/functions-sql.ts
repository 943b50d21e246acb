import type pg from "pg";

/** The functions table: what syncs stored (store/apps-sql.ts writes a sync), read back and paused. */

/** A stored function with its app's URL, as recovery reads them. */
export interface FunctionRow {
  slug: string;
  app_id: string;
  name: string;
  config: unknown;
  paused: boolean;
  archived: boolean;
  created_at: string | number;
  updated_at: string | number;
  app_url: string;
}

/** Every stored function, with its app's URL. */
export async function selectFunctionsWithApps(pool: pg.Pool, s: string): Promise<FunctionRow[]> {
  const { rows } = await pool.query(`SELECT f.*, a.url AS app_url FROM ${s}.functions f JOIN ${s}.apps a ON a.id = f.app_id`);
  return rows;
}

/** One app's functions, archived ones too, by slug. */
export async function selectAppFunctions(pool: pg.Pool, s: string, appId: string): Promise<Omit<FunctionRow, "paused" | "app_url">[]> {
  const { rows } = await pool.query(
    `SELECT slug, app_id, name, config, archived, created_at, updated_at FROM ${s}.functions WHERE app_id = $1 ORDER BY slug`,
    [appId],
  );
  return rows;
}

export async function setFunctionPaused(pool: pg.Pool, s: string, slug: string, paused: boolean, now: number): Promise<void> {
  await pool.query(`UPDATE ${s}.functions SET paused = $2, updated_at = $3 WHERE slug = $1`, [slug, paused, now]);
}

/** Archives every function of an app (it was removed); returns their slugs. */
export async function archiveFunctionsOfApp(pool: pg.Pool, s: string, appId: string, now: number): Promise<string[]> {
  const { rows } = await pool.query(`UPDATE ${s}.functions SET archived = true, updated_at = $2 WHERE app_id = $1 RETURNING slug`, [
    appId,
    now,
  ]);
  return rows.map((r) => r.slug as string);
}
