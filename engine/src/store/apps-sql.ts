import type pg from "pg";

/** The apps table, and a sync written as one transaction over apps and functions. */

// biome-ignore lint/suspicious/noExplicitAny: app columns are read by name where apps are listed
export type AppRow = Record<string, any>;

export async function selectApps(pool: pg.Pool, s: string): Promise<AppRow[]> {
  const { rows } = await pool.query(`SELECT * FROM ${s}.apps ORDER BY id`);
  return rows;
}

/** The serve URLs of every known app. */
export async function selectAppUrls(pool: pg.Pool, s: string): Promise<string[]> {
  const { rows } = await pool.query(`SELECT url FROM ${s}.apps`);
  return rows.map((r) => r.url as string);
}

/** Notes why the last sync of the app at `url` failed. */
export async function setAppSyncError(pool: pg.Pool, s: string, url: string, error: string | undefined): Promise<void> {
  await pool.query(`UPDATE ${s}.apps SET error = $2 WHERE url = $1`, [url, error]);
}

/** Deletes the app's row; false when there was none. */
export async function deleteApp(pool: pg.Pool, s: string, appId: string): Promise<boolean> {
  const res = await pool.query(`DELETE FROM ${s}.apps WHERE id = $1`, [appId]);
  return Boolean(res.rowCount);
}

/** What an app told a sync about itself. */
export interface SyncedApp {
  id: string;
  url: string;
  sdk?: string;
  framework?: string;
  appVersion?: string;
}

/** A function of the app as it was stored before this sync. */
export interface StoredFunction {
  slug: string;
  config: unknown;
  paused: boolean;
  archived: boolean;
}

/**
 * Writes one sync atomically: the app's row, each of its functions (un-archived, config replaced, `paused` kept), and
 * the app's functions the sync no longer lists archived. Returns the app's functions as they were before it, and the
 * slugs it archived, from which the caller tells whether anything changed.
 */
export async function saveAppSync(
  pool: pg.Pool,
  s: string,
  app: SyncedApp,
  defs: ReadonlyArray<{ slug: string; name: string; config: unknown }>,
  now: number,
): Promise<{ before: StoredFunction[]; archived: string[] }> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query(
      `INSERT INTO ${s}.apps (id, url, sdk, framework, app_version, synced_at, error, created_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, $6)
         ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, sdk = EXCLUDED.sdk, framework = EXCLUDED.framework,
           app_version = EXCLUDED.app_version, synced_at = EXCLUDED.synced_at, error = NULL`,
      [app.id, app.url, app.sdk ?? null, app.framework ?? null, app.appVersion ?? null, now],
    );
    const { rows: before } = await client.query<StoredFunction>(
      `SELECT slug, config, paused, archived FROM ${s}.functions WHERE app_id = $1`,
      [app.id],
    );
    for (const d of defs) {
      await client.query(
        `INSERT INTO ${s}.functions (slug, app_id, name, config, paused, archived, created_at, updated_at) VALUES ($1, $2, $3, $4, false, false, $5, $5)
           ON CONFLICT (slug) DO UPDATE SET app_id = EXCLUDED.app_id, name = EXCLUDED.name, config = EXCLUDED.config, archived = false, updated_at = EXCLUDED.updated_at`,
        [d.slug, app.id, d.name, JSON.stringify(d.config), now],
      );
    }
    const listed = new Set(defs.map((d) => d.slug));
    const archived = before.filter((r) => !listed.has(r.slug) && !r.archived).map((r) => r.slug);
    if (archived.length) {
      await client.query(`UPDATE ${s}.functions SET archived = true, updated_at = $2 WHERE slug = ANY($1::text[])`, [archived, now]);
    }
    await client.query("COMMIT");
    return { before, archived };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
