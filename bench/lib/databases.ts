/** The benchmarks' databases on a PostgreSQL server, created through its `postgres` database. */
import pg from "pg";

async function withAdmin<T>(url: string, work: (admin: pg.Client, name: string) => Promise<T>): Promise<T> {
  const admin = new URL(url);
  const name = admin.pathname.slice(1);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client, name);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The database `url` names, empty: dropped (with its connections) and created again. */
export function recreateDatabase(url: string): Promise<void> {
  return withAdmin(url, async (admin, name) => {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  });
}

/** The database `url` names, created if it does not exist yet. */
export function ensureDatabase(url: string): Promise<void> {
  return withAdmin(url, async (admin, name) => {
    if (!(await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount)
      await admin.query(`CREATE DATABASE "${name}"`);
  });
}
