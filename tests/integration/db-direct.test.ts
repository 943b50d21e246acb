import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Prisma } from "../../generated/prisma/client.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/**
 * server/db-direct.ts prepares job tracking's and the create's statements once per connection (PostgreSQL then skips
 * parsing and planning them), and falls back to unnamed statements where prepared ones are refused. Checked on real
 * PostgreSQL: what the session holds in `pg_prepared_statements`, a pooler that switched the session under the app,
 * a migration that changed a statement's result, and `?pgbouncer=true`.
 */
let database: TestDatabase;
let admin: pg.Client;

type Direct = typeof import("../../server/db-direct.js");

/** The module fresh (its env() read again) with DATABASE_URL set to `url`. */
async function directFor(url: string): Promise<Direct> {
  vi.resetModules();
  process.env.DATABASE_URL = url;
  return import("../../server/db-direct.js");
}

/**
 * Whether the session holds `statement` prepared under one of the app's names, read on the pool's connection (the
 * pool reuses its last idle one; the embedded PGlite serves every connection in one session).
 */
async function isPrepared(direct: Direct, statement: Prisma.Sql): Promise<boolean> {
  const rows = await direct.directQuery<{ n: number }>(
    Prisma.sql`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE ${"jobdeck_%"} AND statement = ${statement.text}`,
  );
  return (rows[0]?.n ?? 0) > 0;
}

beforeAll(async () => {
  database = await createTestDatabase("jobdeck_direct");
  admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query("CREATE TABLE t (id int PRIMARY KEY, a text)");
  await admin.query("INSERT INTO t VALUES (1, 'one'), (2, 'two')");
});

let current: Direct | undefined;
afterEach(async () => {
  await current?.closeDirectPool();
  current = undefined;
});

afterAll(async () => {
  await admin?.end();
  await database?.drop();
});

const byId = (id: number) => Prisma.sql`SELECT * FROM t WHERE id = ${id}`;
const aOf = (id: number) => Prisma.sql`SELECT a FROM t WHERE id = ${id}`;

describe("direct statements", () => {
  it("prepares a statement once per connection and binds it again with new values", async () => {
    current = await directFor(database.url);
    expect(await current.directQuery(byId(1))).toEqual([{ id: 1, a: "one" }]);
    expect(await current.directQuery(byId(2))).toEqual([{ id: 2, a: "two" }]);
    expect(await isPrepared(current, byId(1))).toBe(true);
    const names = await current.directQuery<{ n: number }>(
      Prisma.sql`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = ${byId(1).text}`,
    );
    expect(names[0]?.n).toBe(1);
  });

  it("sends a statement again unnamed when the session lost it (a pooler moved the app to another server session)", async () => {
    current = await directFor(database.url);
    await current.directQuery(byId(1));
    // Forgotten by the server, still known to the client: the next Bind names a statement the session lacks.
    await current.directQuery(Prisma.sql`DEALLOCATE ALL`);
    expect(await current.directQuery(byId(2))).toEqual([{ id: 2, a: "two" }]);
    // From then on the pool names nothing.
    expect(await current.directQuery(aOf(1))).toEqual([{ a: "one" }]);
    expect(await isPrepared(current, aOf(1))).toBe(false);
  });

  it("sends a statement again unnamed when a migration changed its result columns under the running app", async () => {
    await admin.query("CREATE TABLE m (id int PRIMARY KEY)");
    await admin.query("INSERT INTO m VALUES (1)");
    current = await directFor(database.url);
    expect(await current.directQuery(Prisma.sql`SELECT * FROM m WHERE id = ${1}`)).toEqual([{ id: 1 }]);
    await admin.query("ALTER TABLE m ADD COLUMN b text DEFAULT 'new'");
    expect(await current.directQuery(Prisma.sql`SELECT * FROM m WHERE id = ${1}`)).toEqual([{ id: 1, b: "new" }]);
  });

  it("names nothing behind a pooler announced the way Prisma's is (?pgbouncer=true)", async () => {
    current = await directFor(`${database.url}?pgbouncer=true`);
    await current.directQuery(Prisma.sql`DEALLOCATE ALL`);
    expect(await current.directQuery(aOf(2))).toEqual([{ a: "two" }]);
    expect(await current.directQuery(aOf(2))).toEqual([{ a: "two" }]);
    expect(await isPrepared(current, aOf(2))).toBe(false);
  });

  it("still fails a statement the server refuses for another reason, naming the problem", async () => {
    current = await directFor(database.url);
    await expect(current.directQuery(Prisma.sql`SELECT * FROM missing_table WHERE id = ${1}`)).rejects.toThrow(/missing_table/);
    expect(await current.directQuery(byId(1))).toEqual([{ id: 1, a: "one" }]);
  });
});
