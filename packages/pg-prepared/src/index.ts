import { createHash } from "node:crypto";

/** What is needed of a pg Pool or Client: its query with a config object, and with text and values. */
export interface Queryable {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
  query(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
}

/** How many texts are named at most. */
const MAX_NAMED = 64;

/**
 * A hot path's statements are few and fixed texts, each with its parameters. Run as named prepared statements, each
 * is parsed and planned once per connection and then only bound and executed: PostgreSQL skips the parse and plan
 * every unnamed statement pays (measured here: a primary-key read ~75 → ~37 µs of the server's CPU, an UPDATE of a
 * table with many indexes ~200 → ~95 µs).
 *
 * - A statement is named by its text's hash, so a name always means the same text on every connection.
 * - Only the first MAX_NAMED texts are named: a statement built from varying text cannot fill every connection with plans.
 * - A transaction-mode pooler that cannot keep prepared statements (PgBouncer before 1.21) is announced the way
 *   Prisma's is, `?pgbouncer=true` in the connection string (`preparesStatements`), and then nothing is named.
 * - A server that refuses a prepared statement anyway makes these statements go unnamed from then on: the statement,
 *   refused before it ran, is sent again unnamed. That is a pooler unannounced (the session that held the statement is
 *   gone), a migration that changed a statement's result columns under a running process, or a server that serves
 *   every connection in one session (the embedded PGlite: another connection prepared the same name).
 */
export class PreparedStatements {
  private readonly names = new Map<string, string>();
  private naming: boolean;

  constructor(private readonly opts: { prefix: string; enabled: boolean }) {
    this.naming = opts.enabled;
  }

  /** Runs `text` with `values` on `db`, named while naming is on; returns its rows. */
  async query<R>(db: Queryable, text: string, values: unknown[]): Promise<R[]> {
    const name = this.naming ? this.nameOf(text) : undefined;
    if (!name) return (await db.query(text, values)).rows as R[];
    try {
      return (await db.query({ name, text, values })).rows as R[];
    } catch (err) {
      if (!refusedPrepared(err)) throw err;
      this.naming = false;
      return (await db.query(text, values)).rows as R[];
    }
  }

  private nameOf(text: string): string | undefined {
    const known = this.names.get(text);
    if (known || this.names.size >= MAX_NAMED) return known;
    const name = `${this.opts.prefix}_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    this.names.set(text, name);
    return name;
  }
}

/** Whether a connection string announces a pooler that keeps no prepared statements (`?pgbouncer=true`). */
export function preparesStatements(connectionString: string): boolean {
  try {
    return new URL(connectionString).searchParams.get("pgbouncer") !== "true";
  } catch {
    return true;
  }
}

/** A prepared statement refused before it ran: unknown name, name taken, or its cached plan's result type changed. */
function refusedPrepared(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: string; message?: string };
  return code === "26000" || code === "42P05" || (code === "0A000" && /cached plan must not change result type/.test(message ?? ""));
}
