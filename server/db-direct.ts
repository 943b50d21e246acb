import "server-only";
import { PreparedStatements, preparesStatements } from "@jobdeck/pg-prepared";
import pg from "pg";
import { env } from "@/env";
import type { Prisma } from "@/generated/prisma/client";

/**
 * A plain pg pool for the few statements job tracking runs on every request of every job (record-progress.ts):
 * the same parameterized SQL as `db().$queryRaw` would send, without the Prisma client's own work around each query
 * (12% of the functions worker's CPU, ~1.5 ms a job, in `npm run bench:stack -- --profile`). Everything else goes
 * through db(). Timeouts are db()'s: a database that hangs fails the request instead of holding it.
 *
 * The statements are a handful of fixed texts, so they run as named prepared statements (@jobdeck/pg-prepared):
 * PostgreSQL parses and plans each once per connection, which took its CPU per job in `npm run bench:stack` from
 * 4.0–4.1 to 3.4 ms.
 */
interface DirectPool {
  pool: pg.Pool;
  statements: PreparedStatements;
}
const globalForPool = globalThis as unknown as { jobdeckDirectPool?: DirectPool };

function pool(): DirectPool {
  if (!globalForPool.jobdeckDirectPool) {
    const url = env().DATABASE_URL;
    const created = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000, query_timeout: 60_000 });
    // An idle connection the database dropped (a restart) is not this process's failure: the next query reconnects.
    created.on("error", () => {});
    const statements = new PreparedStatements({ prefix: "jobdeck", enabled: preparesStatements(url) });
    globalForPool.jobdeckDirectPool = { pool: created, statements };
  }
  return globalForPool.jobdeckDirectPool;
}

/**
 * Runs a `Prisma.sql` statement and returns its rows. Dates are sent as UTC text, which a `::timestamp(3)` cast reads
 * as the UTC time Prisma stores (pg's own Date encoding is local time with an offset, which that cast would drop).
 */
export async function directQuery<T>(statement: Prisma.Sql): Promise<T[]> {
  const values = statement.values.map((v) => (v instanceof Date ? v.toISOString() : v));
  const direct = pool();
  return direct.statements.query<T>(direct.pool, statement.text, values);
}

/** Closes the pool (tests that drop their database afterwards). */
export async function closeDirectPool(): Promise<void> {
  const open = globalForPool.jobdeckDirectPool;
  globalForPool.jobdeckDirectPool = undefined;
  await open?.pool.end();
}
