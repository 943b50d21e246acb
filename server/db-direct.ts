import "server-only";
import { createHash } from "node:crypto";
import pg from "pg";
import { env } from "@/env";
import type { Prisma } from "@/generated/prisma/client";

/**
 * A plain pg pool for the few statements job tracking runs on every request of every job (record-progress.ts):
 * the same parameterized SQL as `db().$queryRaw` would send, without the Prisma client's own work around each query
 * (12% of the functions worker's CPU, ~1.5 ms a job, in `npm run bench:stack -- --profile`). Everything else goes
 * through db(). Timeouts are db()'s: a database that hangs fails the request instead of holding it.
 */
const globalForPool = globalThis as unknown as { jobdeckDirectPool?: { pool: pg.Pool; prepares: boolean } };

function pool(): { pool: pg.Pool; prepares: boolean } {
  if (!globalForPool.jobdeckDirectPool) {
    const url = env().DATABASE_URL;
    const created = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000, query_timeout: 60_000 });
    // An idle connection the database dropped (a restart) is not this process's failure: the next query reconnects.
    created.on("error", () => {});
    globalForPool.jobdeckDirectPool = { pool: created, prepares: preparesStatements(url) };
  }
  return globalForPool.jobdeckDirectPool;
}

/**
 * The statements are few and fixed (a handful of texts, each with its parameters), so each is prepared once per
 * connection under a name and then only bound and executed: PostgreSQL skips parsing and planning it again, which
 * halved its CPU for the status read and the outcome's UPDATE here (~75 → ~37 µs and ~200 → ~95 µs). A text beyond
 * the first MAX_NAMED goes unnamed, so a statement built from varying text cannot fill every connection with plans.
 * A transaction-mode pooler that cannot keep prepared statements (PgBouncer before 1.21) is named in DATABASE_URL
 * the way Prisma's is, `?pgbouncer=true`, and then every statement goes unnamed. A server that refuses a prepared
 * statement anyway (such a pooler unannounced, or a migration that changed a statement's result columns under a
 * running app) makes the pool stop naming them: the statement, refused before it ran, is sent again unnamed.
 */
const MAX_NAMED = 64;
/** A prepared statement refused before it ran: unknown name, name taken, or its cached plan's result type changed. */
function preparedRefused(err: unknown): boolean {
  const { code, message } = err as { code?: string; message?: string };
  return code === "26000" || code === "42P05" || (code === "0A000" && /cached plan must not change result type/.test(message ?? ""));
}
const statementNames = new Map<string, string>();

export function preparesStatements(databaseUrl: string): boolean {
  try {
    return new URL(databaseUrl).searchParams.get("pgbouncer") !== "true";
  } catch {
    return true;
  }
}

function statementName(text: string): string | undefined {
  const known = statementNames.get(text);
  if (known || statementNames.size >= MAX_NAMED) return known;
  const name = `jobdeck_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
  statementNames.set(text, name);
  return name;
}

/**
 * Runs a `Prisma.sql` statement and returns its rows. Dates are sent as UTC text, which a `::timestamp(3)` cast reads
 * as the UTC time Prisma stores (pg's own Date encoding is local time with an offset, which that cast would drop).
 */
export async function directQuery<T>(statement: Prisma.Sql): Promise<T[]> {
  const values = statement.values.map((v) => (v instanceof Date ? v.toISOString() : v));
  const direct = pool();
  const name = direct.prepares ? statementName(statement.text) : undefined;
  if (!name) return (await direct.pool.query(statement.text, values)).rows as T[];
  try {
    return (await direct.pool.query({ name, text: statement.text, values })).rows as T[];
  } catch (err) {
    if (!preparedRefused(err)) throw err;
    direct.prepares = false;
    return (await direct.pool.query(statement.text, values)).rows as T[];
  }
}

/** Closes the pool (tests that drop their database afterwards). */
export async function closeDirectPool(): Promise<void> {
  const open = globalForPool.jobdeckDirectPool;
  globalForPool.jobdeckDirectPool = undefined;
  await open?.pool.end();
}
