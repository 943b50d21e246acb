import { startPgliteServer } from "@jobdeck/pglite-server";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    databaseKind: string;
  }
}

export const DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/jobdeck_engine_test";

/** Creates the test database on PostgreSQL, or starts an in-memory PGlite server for the pglite project. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const kind = project.config.env?.ENGINE_TEST_DB ?? "pg";
  if (kind === "pglite") {
    const server = await startPgliteServer();
    project.provide("databaseUrl", server.url);
    project.provide("databaseKind", "pglite");
    return () => server.stop();
  }
  const url = process.env.ENGINE_TEST_DATABASE_URL ?? DEFAULT_PG_URL;
  const target = new URL(url);
  const dbName = target.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [dbName]);
  if (!rowCount) await client.query(`CREATE DATABASE "${dbName.replace(/"/g, "")}"`);
  await client.end();
  project.provide("databaseUrl", url);
  project.provide("databaseKind", "pg");
  return async () => {};
}
