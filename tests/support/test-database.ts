import { randomBytes } from "node:crypto";
import { startPgliteServer } from "@jobdeck/pglite-server";
import pg from "pg";

export interface TestDatabase {
  url: string;
  kind: "postgres" | "pglite";
  drop(): Promise<void>;
}

const PG_URL = process.env.ENGINE_TEST_DATABASE_URL;

export async function postgresAnswers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/**
 * A fresh, empty database for one test file: a new database on the real PostgreSQL when it answers
 * (ENGINE_TEST_DATABASE_URL, as CI sets it), otherwise an in-memory embedded PGlite served over a socket.
 */
export async function createTestDatabase(prefix = "jobdeck_app"): Promise<TestDatabase> {
  if (PG_URL && (await postgresAnswers(PG_URL))) {
    const name = `${prefix}_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      kind: "postgres",
      async drop() {
        const a = new pg.Client({ connectionString: PG_URL });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await a.end();
      },
    };
  }
  const lite = await startPgliteServer();
  return { url: lite.url, kind: "pglite", drop: () => lite.stop() };
}
