import "server-only";
import pg from "pg";
import { env } from "@/env";
import type { Prisma } from "@/generated/prisma/client";

/**
 * A plain pg pool for the few statements job tracking runs on every request of every job (record-progress.ts):
 * the same parameterized SQL as `db().$queryRaw` would send, without the Prisma client's own work around each query
 * (12% of the functions worker's CPU, ~1.5 ms a job, in `npm run bench:stack -- --profile`). Everything else goes
 * through db(). Timeouts are db()'s: a database that hangs fails the request instead of holding it.
 */
const globalForPool = globalThis as unknown as { jobdeckDirectPool?: pg.Pool };

function pool(): pg.Pool {
  if (!globalForPool.jobdeckDirectPool) {
    const created = new pg.Pool({ connectionString: env().DATABASE_URL, max: 10, connectionTimeoutMillis: 5_000, query_timeout: 60_000 });
    // An idle connection the database dropped (a restart) is not this process's failure: the next query reconnects.
    created.on("error", () => {});
    globalForPool.jobdeckDirectPool = created;
  }
  return globalForPool.jobdeckDirectPool;
}

/**
 * Runs a `Prisma.sql` statement and returns its rows. Dates are sent as UTC text, which a `::timestamp(3)` cast reads
 * as the UTC time Prisma stores (pg's own Date encoding is local time with an offset, which that cast would drop).
 */
export async function directQuery<T>(statement: Prisma.Sql): Promise<T[]> {
  const values = statement.values.map((v) => (v instanceof Date ? v.toISOString() : v));
  return (await pool().query(statement.text, values)).rows as T[];
}

/** Closes the pool (tests that drop their database afterwards). */
export async function closeDirectPool(): Promise<void> {
  const open = globalForPool.jobdeckDirectPool;
  globalForPool.jobdeckDirectPool = undefined;
  await open?.end();
}
