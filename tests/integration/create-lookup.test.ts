import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploy } from "../../scripts/db/migrator.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/**
 * The create statement (`jobdeck_create_job`) looks a job's idempotency key up only when there is one. Its plans are
 * cached per connection; one made on a nearly empty table read the key through an index that filtered every job of the
 * organization, so a keyless create (the common case) paid for a search that can never match, under the
 * organization's lock. Here every plan of the session is generic and cannot use an index, so any read of "Job" is a
 * scan of the whole table: a keyed create reads it once more than a keyless one (its lookup), and the keyless one
 * reads it no more than the parts every create has.
 */
let database: TestDatabase;
let client: pg.Client;
const ORG = "org_many";
const ACTIVE = ["QUEUED", "RUNNING", "WAITING", "RETRYING"];

beforeAll(async () => {
  database = await createTestDatabase();
  await deploy(database.url);
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query(
    `INSERT INTO "Job" ("id", "orgId", "createdBy", "type", "payload", "source", "attempt", "updatedAt")
     SELECT gen_random_uuid(), $1, 'user_seed', 'demo-task', jsonb_build_object('n', g, 'pad', repeat('x', 200)), 'API', 1, now()
       FROM generate_series(1, 3000) g`,
    [ORG],
  );
});
afterAll(async () => {
  await client?.end();
  await database?.drop();
});

/** Buffers one create reads and writes, as EXPLAIN counts them, with its plans generic and index-free. */
async function createBuffers(key: string | null): Promise<number> {
  await client.query("BEGIN");
  try {
    for (const setting of ["plan_cache_mode = force_generic_plan", "enable_indexscan = off", "enable_bitmapscan = off"]) {
      await client.query(`SET LOCAL ${setting}`);
    }
    const { rows } = await client.query(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
       SELECT * FROM jobdeck_create_job($1, 'user_a', gen_random_uuid(), 'demo-task', 0, '{}'::jsonb, $2, 'API'::"JobSource",
         'ev-' || gen_random_uuid(), 'jobs/demo-task', '{}'::jsonb, 1000000, $3::text[])`,
      [ORG, key, ACTIVE],
    );
    const plan = rows[0]["QUERY PLAN"][0].Plan;
    return Number(plan["Shared Hit Blocks"]) + Number(plan["Shared Read Blocks"]);
  } finally {
    await client.query("ROLLBACK");
  }
}

describe("the create statement's idempotency lookup", () => {
  it("is skipped for a job without a key", async () => {
    const { rows } = await client.query(`SELECT pg_relation_size('"Job"') / current_setting('block_size')::int AS pages`);
    const pages = Number(rows[0].pages);
    expect(pages).toBeGreaterThan(50);
    // Warm the session's caches so both measurements see the same catalog reads.
    await createBuffers(null);
    const keyless = await createBuffers(null);
    const keyed = await createBuffers("order-17");
    // The lookup scans every page of "Job" (give or take the page the new row lands on).
    expect(keyed - keyless).toBeGreaterThan(pages * 0.9);
  });
});
