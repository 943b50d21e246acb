import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedJobs } from "../../scripts/lib/seed-jobs.js";
import { type AppStack, startAppStack } from "../support/app-stack.js";

/**
 * The job queries at scale, asserted on their plans (never on timings): on an organization of 100,000 jobs every
 * hot query is an index scan over the rows it returns, with a small, bounded number of buffers; the maintained
 * counts equal count(*) after concurrent creates, cancels, retries, bulk actions and a crashed transaction; bulk
 * actions by filter act on exactly the filter's statuses; stalled recovery reaches jobs behind live ones.
 * The engine is stopped, so nothing the tests create starts running underneath them.
 */
let stack: AppStack;
let admin: pg.Client;
const BIG = `org_big_${randomBytes(3).toString("hex")}`;
const N = 100_000;

type Sql = import("../../generated/prisma/client.js").Prisma.Sql;
type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] };

beforeAll(async () => {
  stack = await startAppStack({ JOBS_MAX_ACTIVE_PER_ORG: "20" });
  await stack.stopEngine();
  admin = new pg.Client({ connectionString: stack.database.url });
  await admin.connect();
  await seedJobs(admin, { orgId: BIG, count: N, days: 90, rareAt: 31_337, batch: 25_000 });
  // Neighbours, so every query also has to leave other organizations' rows alone.
  for (let i = 0; i < 3; i++) await seedJobs(admin, { orgId: `org_side_${i}`, count: 5_000, days: 30 });
  await admin.query(`ANALYZE "Job"`);
}, 300_000);

afterAll(async () => {
  await admin?.end();
  await stack?.stop();
});

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];

/** The executed plan of a statement the app runs, with its nodes flattened. */
async function planOf(query: Sql, analyze = true): Promise<{ nodes: PlanNode[]; buffers: number; rows: number }> {
  const { Prisma } = await import("../../generated/prisma/client.js");
  const options = analyze ? Prisma.raw("ANALYZE, BUFFERS, FORMAT JSON") : Prisma.raw("FORMAT JSON");
  const out = await stack.db().$queryRaw<Array<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>>`EXPLAIN (${options}) ${query}`;
  const plan = out[0]?.["QUERY PLAN"][0];
  if (!plan) throw new Error("EXPLAIN returned no plan");
  const root = plan.Plan;
  const buffers = Number(root["Shared Hit Blocks"] ?? 0) + Number(root["Shared Read Blocks"] ?? 0);
  return { nodes: nodesOf(root), buffers, rows: Number(root["Actual Rows"] ?? 0) };
}

/** No sequential scan of Job, and (one of) the index(es) meant for the query among those read. */
function expectIndexed(plan: { nodes: PlanNode[] }, index: string | string[], what = ""): void {
  const seqScans = plan.nodes.filter((n) => n["Node Type"] === "Seq Scan" && n["Relation Name"] === "Job");
  expect(seqScans, `${what}: no sequential scan of Job`).toEqual([]);
  const used = plan.nodes.map((n) => n["Index Name"]).filter(Boolean);
  const allowed = Array.isArray(index) ? index : [index];
  expect(
    used.some((u) => allowed.includes(u as string)),
    `${what}: reads ${used.join(", ")}; expected ${allowed.join(" or ")}`,
  ).toBe(true);
}

describe("plans at 100,000 jobs", () => {
  const scope = { orgId: BIG, userId: "seed" };

  it("lists every filter shape from its index, deep cursor pages included, touching a bounded number of pages", async () => {
    const { pageQuery } = await import("../../server/services/jobs/list-jobs.js");
    const deep = (
      await admin.query(
        `SELECT "createdAt", "id" FROM "Job" WHERE "orgId" = $1 ORDER BY "createdAt" DESC, "id" DESC OFFSET 60000 LIMIT 1`,
        [BIG],
      )
    ).rows[0];
    // The organization's own index, or (for an organization that is most of the table) the createdAt index
    // filtered by organization: both start at the cursor and stop after the page.
    const newest = ["Job_orgId_createdAt_id_idx", "Job_createdAt_idx"];
    const cases: Array<[string, object, { createdAt: Date; id: string } | undefined, string | string[]]> = [
      ["first page", {}, undefined, newest],
      ["60,000 rows deep", {}, deep, newest],
      ["one status, deep", { status: "FAILED" }, deep, "Job_orgId_status_createdAt_id_idx"],
      ["three statuses", { status: ["QUEUED", "RUNNING", "WAITING"] }, undefined, "Job_orgId_status_createdAt_id_idx"],
      ["a type", { type: "render-report" }, deep, "Job_orgId_type_status_createdAt_id_idx"],
      ["a type and a status", { type: "render-report", status: "COMPLETED" }, undefined, "Job_orgId_type_status_createdAt_id_idx"],
      ["unacknowledged failures", { unacknowledged: true }, undefined, "Job_unacknowledged_failures_idx"],
      ["a rare word", { q: "zanzibar" }, undefined, "Job_searchVector_idx"],
    ];
    const { isRareText } = await import("../../server/services/jobs/list-jobs.js");
    // A word in every job's payload: the list's own index, walked until the page is full.
    cases.push(["a common word", { q: "task" }, undefined, newest]);
    for (const [what, filter, before, index] of cases) {
      const q = (filter as { q?: string }).q;
      const plan = await planOf(pageQuery(scope, filter, before, 26, q ? await isRareText(q) : false));
      expectIndexed(plan, index, what);
      // A seq scan of this table would read thousands of pages; a page of 26 rows reads a few hundred at most.
      expect(plan.buffers, `${what}: pages touched`).toBeLessThan(600);
    }
  });

  it("counts from the maintained counts, and a text filter's count is bounded", async () => {
    const { countJobs } = await import("../../server/services/jobs/list-jobs.js");
    const exact = Number(
      (await admin.query(`SELECT count(*) FROM "Job" WHERE "orgId" = $1 AND "status" = 'COMPLETED'`, [BIG])).rows[0].count,
    );
    expect(await countJobs(scope, { status: "COMPLETED" })).toEqual({ count: exact, capped: false });
    expect(await countJobs(scope, { q: "zanzibar" })).toEqual({ count: 1, capped: false });
    expect(await countJobs(scope, { q: "task" })).toEqual({ count: 1000, capped: true });
  });

  it("runs the maintenance and bulk queries from their indexes", async () => {
    const { stalledCandidates } = await import("../../server/services/maintenance/recover-stalled-jobs.js");
    const { pruneCandidates } = await import("../../server/services/maintenance/prune-old-jobs.js");
    const { matchingIdsQuery } = await import("../../server/services/jobs/bulk-jobs.js");
    const { queueStatsStatement } = await import("../../server/services/stats/aggregate-queue-stats.js");
    const day = 86_400_000;
    expectIndexed(await planOf(stalledCandidates(new Date(Date.now() - 10 * 60_000), 500)), "Job_status_heartbeatAt_idx");
    const prune = await planOf(pruneCandidates(["COMPLETED"], new Date(Date.now() - 80 * day), 501));
    expectIndexed(prune, "Job_status_finishedAt_idx");
    expect(prune.rows).toBe(501);
    expectIndexed(
      await planOf(pruneCandidates(["FAILED", "CANCELLED"], new Date(Date.now() - 365 * day), 501)),
      "Job_status_finishedAt_idx",
    );
    expectIndexed(await planOf(matchingIdsQuery(scope, { type: "demo-task" }, ["FAILED"], true)), "Job_orgId_type_status_createdAt_id_idx");
    const window = { from: new Date(Date.now() - 60 * 60_000), to: new Date() };
    const stats = await planOf(queueStatsStatement(window), false);
    for (const index of ["Job_createdAt_idx", "Job_startedAt_idx", "Job_status_finishedAt_idx"]) expectIndexed(stats, index);
  });
});

describe("the observability views at 100,000 rows", () => {
  // One organization's runs, events and log lines among other organizations', as the engine and the app store them.
  beforeAll(async () => {
    const runId = (i: string) => `lpad(to_hex(${i}), 26, '0')`;
    for (const [org, n] of [
      [BIG, N],
      ["org_side_0", 20_000],
      ["org_side_1", 20_000],
    ] as const) {
      const base = org === BIG ? 0 : org === "org_side_0" ? 10_000_000 : 20_000_000;
      await admin.query(
        `INSERT INTO engine.events (internal_id, id, name, data, ts, received_at)
         SELECT ${runId(`${base} + g`)}, 'evt-' || (${base} + g), 'demo/task.requested',
                jsonb_build_object('orgId', $1::text, 'n', g), 0, g FROM generate_series(1, $2::int) g`,
        [org, n],
      );
      await admin.query(
        `INSERT INTO engine.runs (id, function_slug, status, event_ids, events, created_at)
         SELECT ${runId(`${base} + g`)}, 'jobdeck-demo-task', 'completed', ARRAY[${runId(`${base} + g`)}],
                jsonb_build_array(jsonb_build_object('name', 'demo/task.requested', 'data', jsonb_build_object('orgId', $1::text))), g
         FROM generate_series(1, $2::int) g`,
        [org, n],
      );
      await admin.query(
        `INSERT INTO "StepLog" ("orgId", "runId", "functionId", "level", "message")
         SELECT $1, 'run-' || g, 'jobdeck-demo-task', 'info', 'step-3-process: working on task t' || g || CASE WHEN g = 4242 THEN ' quetzal' ELSE '' END
         FROM generate_series(1, $2::int) g`,
        [org, n],
      );
    }
    await admin.query(`UPDATE "Job" SET "runId" = 'run-' || "id" WHERE "orgId" = $1 AND "createdAt" > now() - interval '2 days'`, [BIG]);
    for (const t of ["engine.events", "engine.runs", `"StepLog"`, `"Job"`]) await admin.query(`ANALYZE ${t}`);
  }, 300_000);

  /** A plan of a statement run with the pg client (the engine's statements), flattened. */
  async function enginePlan(sql: string, params: unknown[]) {
    const { rows } = await admin.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params);
    const root = (rows[0] as { "QUERY PLAN": Array<{ Plan: PlanNode }> })["QUERY PLAN"][0]?.Plan as PlanNode;
    return { nodes: nodesOf(root), buffers: Number(root["Shared Hit Blocks"] ?? 0) + Number(root["Shared Read Blocks"] ?? 0) };
  }
  const usesIndex = (plan: { nodes: PlanNode[] }, index: string) => plan.nodes.some((n) => n["Index Name"] === index);
  const seqScanned = (plan: { nodes: PlanNode[] }) =>
    plan.nodes.filter((n) => n["Node Type"] === "Seq Scan").map((n) => n["Relation Name"]);

  it("reads a tenant's events and runs pages from an index, whatever the other tenants have", async () => {
    const { selectEventsPage } = await import("../../engine/src/store/events-sql.js");
    const { runsOrder, runsWhere } = await import("../../engine/src/store/run-filter-sql.js");
    // A tenant with a handful of events among 140,000: its own index range (the organization that owns most of the
    // table is read newest-first through the primary key instead, which stops as soon as the page is full).
    await admin.query(
      `INSERT INTO engine.events (internal_id, id, name, data, ts, received_at)
       SELECT lpad(to_hex(30000000 + g), 26, '0'), 'evt-small-' || g, 'x/y', jsonb_build_object('orgId', 'org_small'), 0, g
       FROM generate_series(1, 40) g`,
    );
    await admin.query("ANALYZE engine.events");
    for (const [tenant, index] of [
      ["org_small", "events_tenant_idx"],
      [BIG, undefined],
      ["org_side_0", undefined],
    ] as const) {
      let captured: { sql: string; params: unknown[] } | undefined;
      const spy = { query: async (sql: string, params: unknown[]) => ((captured = { sql, params }), { rows: [] }) };
      await selectEventsPage(spy as never, "engine", { tenant, summary: true }, 50);
      const plan = await enginePlan((captured as { sql: string }).sql, (captured as { params: unknown[] }).params);
      expect(seqScanned(plan), tenant).toEqual([]);
      if (index) expect(usesIndex(plan, index), tenant).toBe(true);
      expect(plan.buffers, `${tenant}: pages touched`).toBeLessThan(300);
    }
    // The app's runs explorer asks with event_data={orgId}: the tenant column, not containment over every run.
    for (const tenant of [BIG, "org_side_1"]) {
      const params: unknown[] = [];
      const where = runsWhere({ functionSlug: "jobdeck-demo-task", eventData: { orgId: tenant } }, params);
      expect(where).toContain("tenant >=");
      const filter = { functionSlug: "jobdeck-demo-task", eventData: { orgId: tenant } };
      const runs = await enginePlan(`SELECT id FROM engine.runs ${where} ORDER BY ${runsOrder(filter)} LIMIT 51`, params);
      expect(seqScanned(runs), tenant).toEqual([]);
      expect(runs.buffers, `${tenant}: pages touched`).toBeLessThan(300);
    }
  });

  it("links a page of runs to their jobs through the runId index, and searches logs from their indexes", async () => {
    const ids = (await admin.query(`SELECT "runId" FROM "Job" WHERE "runId" IS NOT NULL LIMIT 50`)).rows.map((r) => r.runId);
    const { Prisma } = await import("../../generated/prisma/client.js");
    const jobs = await planOf(Prisma.sql`SELECT "id", "runId" FROM "Job" WHERE "runId" = ANY(${ids}) AND "orgId" = ${BIG}`);
    expectIndexed(jobs, "Job_runId_idx", "jobs of a page of runs");
    const { areRareWords, logSearchSql, parseLogQuery } = await import("../../server/services/logs/search-logs.js");
    const scope = { orgId: BIG, userId: "seed" };
    expect(await areRareWords("quetzal")).toBe(true);
    expect(await areRareWords("working")).toBe(false);
    const rare = await planOf(logSearchSql(scope, false, parseLogQuery("quetzal"), undefined, 100, true));
    expect(usesIndex(rare, "StepLog_searchVector_idx")).toBe(true);
    expect(rare.rows).toBe(1);
    for (const org of [BIG, "org_side_1"]) {
      const newest = await planOf(logSearchSql({ ...scope, orgId: org }, false, parseLogQuery(""), undefined, 100));
      expect(seqScanned(newest), org).toEqual([]);
      expect(newest.buffers, `${org}: pages touched`).toBeLessThan(300);
    }
  });
});

describe("maintained counts", () => {
  const countsOf = async (orgId: string) => {
    const real = await admin.query(
      `SELECT "type", "status"::text AS bucket, count(*)::int AS n FROM "Job" WHERE "orgId" = $1 GROUP BY 1, 2
      UNION ALL SELECT "type", 'UNACKNOWLEDGED', count(*)::int FROM "Job" WHERE "orgId" = $1 AND "status" = 'FAILED' AND "failureAcknowledgedAt" IS NULL GROUP BY 1`,
      [orgId],
    );
    const kept = await admin.query(
      `SELECT "type", "bucket", sum("count")::int AS n FROM "JobCount" WHERE "orgId" = $1 AND "bucket" <> 'CHANGES'
      GROUP BY 1, 2 HAVING sum("count") <> 0`,
      [orgId],
    );
    const sorted = (rows: Array<{ type: string; bucket: string; n: number }>) => rows.map((r) => `${r.type}/${r.bucket}=${r.n}`).sort();
    return { real: sorted(real.rows), kept: sorted(kept.rows) };
  };

  it("equal count(*) after concurrent creates, cancels, retries, bulk actions and a crashed transaction", async () => {
    const orgId = `org_counts_${randomBytes(3).toString("hex")}`;
    const api = stack.caller(orgId);
    // 60 creates at once against a limit of 20: exactly 20 get in, the rest are refused with 429.
    const created = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => api.job.create({ type: "demo-task", payload: { taskId: `c${i}` } })),
    );
    const ok = created.flatMap((r) => (r.status === "fulfilled" ? [r.value.job.id] : []));
    expect(ok).toHaveLength(20);
    for (const r of created) if (r.status === "rejected") expect((r.reason as { code?: string }).code).toBe("TOO_MANY_REQUESTS");

    // Cancels and creates race each other, then retries race each other (some of them into the limit).
    await Promise.allSettled([
      ...ok.slice(0, 5).map((id) => api.job.cancel({ id })),
      api.job.bulk({ action: "cancel", ids: ok.slice(5, 12) }),
      ...Array.from({ length: 8 }, (_, i) => api.job.create({ type: "demo-task", payload: { taskId: `late${i}` } })),
    ]);
    await Promise.allSettled([
      ...ok.slice(0, 3).map((id) => api.job.retry({ id })),
      api.job.bulk({ action: "retry", ids: ok.slice(5, 9) }),
    ]);
    await admin.query(`UPDATE "Job" SET "status" = 'FAILED', "finishedAt" = now() WHERE "orgId" = $1 AND "id" = ANY($2::uuid[])`, [
      orgId,
      ok.slice(12, 16),
    ]);
    await api.job.bulk({ action: "acknowledge", ids: ok.slice(12, 14) });

    // A client that dies mid-transaction (its socket cut): the status change and its count change roll back together.
    const doomed = new pg.Client({ connectionString: stack.database.url });
    await doomed.connect();
    doomed.on("error", () => {});
    await doomed.query("BEGIN");
    await doomed.query(`UPDATE "Job" SET "status" = 'COMPLETED' WHERE "orgId" = $1`, [orgId]);
    (doomed as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await doomed.end().catch(() => {});

    const { real, kept } = await countsOf(orgId);
    expect(kept).toEqual(real);
    const stats = await api.job.stats();
    expect(stats.jobs.active).toBeLessThanOrEqual(20);
    expect(stats.jobs.unacknowledgedFailures).toBe(2);
  });

  it("the change counter moves on every write and stays put on reads", async () => {
    const orgId = `org_version_${randomBytes(3).toString("hex")}`;
    const api = stack.caller(orgId);
    const v0 = (await api.job.version()).version;
    const { job } = await api.job.create({ type: "demo-task", payload: {} });
    const v1 = (await api.job.version()).version;
    expect(v1).toBeGreaterThan(v0);
    await api.job.list();
    await api.job.stats();
    expect((await api.job.version()).version).toBe(v1);
    await api.job.cancel({ id: job.id });
    expect((await api.job.version()).version).toBeGreaterThan(v1);
  });
});

describe("bulk by filter", () => {
  it("acts on the filter's statuses intersected with the action's, so the confirmed set is the set acted on", async () => {
    const orgId = `org_bulk_${randomBytes(3).toString("hex")}`;
    const api = stack.caller(orgId);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await api.job.create({ type: "demo-task", payload: { taskId: `b${i}` } })).job.id);
    const [queued, running, waiting, failed, cancelled] = ids;
    await admin.query(`UPDATE "Job" SET "status" = 'RUNNING' WHERE "id" = $1`, [running]);
    await admin.query(`UPDATE "Job" SET "status" = 'WAITING' WHERE "id" = $1`, [waiting]);
    await admin.query(`UPDATE "Job" SET "status" = 'FAILED', "finishedAt" = now() WHERE "id" = $1`, [failed]);
    await admin.query(`UPDATE "Job" SET "status" = 'CANCELLED', "finishedAt" = now() WHERE "id" = $1`, [cancelled]);

    const retried = await api.job.bulk({ action: "retry", filter: { status: "FAILED" } });
    expect(retried).toMatchObject({ matched: 1, done: 1 });
    const status = async (id: string | undefined) => (await api.job.byId({ id: id as string })).status;
    expect(await status(cancelled)).toBe("CANCELLED");
    expect(await status(failed)).toBe("QUEUED");

    const cancelledNow = await api.job.bulk({ action: "cancel", filter: { status: "WAITING" } });
    expect(cancelledNow).toMatchObject({ matched: 1, done: 1 });
    expect([await status(queued), await status(running), await status(waiting)]).toEqual(["QUEUED", "RUNNING", "CANCELLED"]);
    expect(await api.job.bulk({ action: "cancel", filter: { status: "COMPLETED" } })).toMatchObject({ matched: 0, done: 0 });
  });
});

describe("stalled recovery", () => {
  it("reaches a stalled job behind live ones: a live run counts as a heartbeat and goes to the back", async () => {
    const { recoverStalledJobs } = await import("../../server/services/maintenance/recover-stalled-jobs.js");
    await stack.restartEngine();
    try {
      const orgId = `org_stalled_${randomBytes(3).toString("hex")}`;
      const api = stack.caller(orgId);
      const { until } = await import("@jobdeck/test-kit");
      const live: string[] = [];
      for (let i = 0; i < 3; i++)
        live.push((await api.job.create({ type: "approval-workflow", payload: { title: `t${i}`, amount: 1 } })).job.id);
      // Parked on their wait (WAITING, written as the request ends): from here on nothing gives them a heartbeat.
      await until("approvals waiting", async () => {
        const rows = await admin.query(
          `SELECT count(*)::int AS n FROM "Job" WHERE "id" = ANY($1::uuid[]) AND "runId" IS NOT NULL AND "status" = 'WAITING'`,
          [live],
        );
        return rows.rows[0].n === 3 || undefined;
      });
      // A job whose run is gone: written directly, so no real run exists to give it a heartbeat meanwhile.
      const stalled = (
        await admin.query(
          `INSERT INTO "Job" ("id", "orgId", "createdBy", "type", "status", "payload", "source", "attempt", "runId", "updatedAt")
           VALUES (gen_random_uuid(), $1, 'test', 'demo-task', 'RUNNING', '{}', 'API', 1, 'run-that-never-was', now()) RETURNING "id"`,
          [orgId],
        )
      ).rows[0].id as string;
      // Nobody else's started job is silent (the seeded ones would be first in line otherwise).
      await admin.query(`UPDATE "Job" SET "heartbeatAt" = now() WHERE "status" IN ('RUNNING', 'WAITING') AND "orgId" <> $1`, [orgId]);
      // The live ones have been silent longest, so a pass of three asks about them first.
      await admin.query(`UPDATE "Job" SET "heartbeatAt" = now() - interval '3 hours' WHERE "id" = ANY($1::uuid[])`, [live]);
      await admin.query(`UPDATE "Job" SET "heartbeatAt" = now() - interval '2 hours' WHERE "id" = $1`, [stalled]);

      expect(await recoverStalledJobs(new Date(), 3)).toEqual([]);
      // The next pass reaches it (another one if the engine could not answer about a live run in time: a run
      // nobody could ask about keeps its place, by design). The app's own recover-stalled-jobs cron runs in this
      // stack too and may reach it first; either way it ends FAILED as stalled and the live ones are untouched.
      const found: string[] = [];
      for (let pass = 0; pass < 3 && !found.length; pass++) found.push(...(await recoverStalledJobs(new Date(), 3)).map((v) => v.jobId));
      const end = (await admin.query(`SELECT "status", "error" FROM "Job" WHERE "id" = $1`, [stalled])).rows[0];
      expect(end).toMatchObject({ status: "FAILED", error: { name: "Stalled" } });
      expect(found.filter((id) => id !== stalled)).toEqual([]);
      for (const id of live) expect(["RUNNING", "WAITING"]).toContain((await api.job.byId({ id })).status);
    } finally {
      await stack.stopEngine();
    }
  });
});
