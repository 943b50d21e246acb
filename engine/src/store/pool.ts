import pg from "pg";
import type { Logger } from "pino";
import { storedTypes } from "./stored-types.js";

/** The engine's connection pool. */
export function createPool(opts: { databaseUrl: string; poolSize: number }, log: Logger): pg.Pool {
  // A database that hangs must not hold a connection attempt or a query for ever: the journal retries a flush
  // that timed out (its writes are idempotent), and a connection attempt gives up and is tried again.
  const pool = new pg.Pool({
    connectionString: opts.databaseUrl,
    max: opts.poolSize,
    connectionTimeoutMillis: 10_000,
    query_timeout: 60_000,
    // Strings jsonb cannot hold are stored escaped (store/batch.ts) and restored as they are read.
    types: storedTypes,
  });
  // Only the error itself: pg attaches the whole client to it, which would dump its internals into the log.
  pool.on("error", (err) =>
    log.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, "idle database connection failed"),
  );
  return pool;
}

/** Whether the database answers (for /health); throws its error when it does not. */
export async function ping(pool: pg.Pool): Promise<void> {
  await pool.query("SELECT 1");
}
