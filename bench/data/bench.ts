/**
 * `npm run bench:data`: the console's and API's queries at a year of jobs, on real PostgreSQL. Builds the data in a
 * fresh database with SQL (generate_series; scripts/lib/seed-jobs.ts) and grows it in stages: one organization of
 * 10k, then 100k, then 1M jobs over 90 days (~5 steps each, payloads of 200–2,000 bytes), plus 50 organizations of
 * 10k at the last stage; every job with its start event and its run in the embedded engine's tables and a log line
 * (scripts/lib/seed-engine.ts). The embedded engine runs in this process on the same database, and the app reads
 * its runs and events from it as it does in production. At each stage it prints, for every call the console, the
 * API and the scheduled functions make, the p50 and p95 of 7 runs (in-process service calls: the same code the
 * routes run), the plan of the SQL behind it (index or seq scan, rows, buffers; the engine's statements too), and
 * the database CPU of five idle console tabs. No assertions.
 *
 *   npm run bench:data -- [--stages 10000,100000,1000000] [--database-url postgres://…] [--idle-seconds 30]
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import pg from "pg";
import pino from "pino";
import { Engine } from "../../engine/src/engine.js";
import { deploy } from "../../scripts/db/migrator.js";
import { seedEngine } from "../../scripts/lib/seed-engine.js";
import { seedJobs } from "../../scripts/lib/seed-jobs.js";
import { recreateDatabase } from "../lib/databases.js";
import { measureObservability } from "./observability-calls.js";

const { values } = parseArgs({
  options: {
    stages: { type: "string", default: "10000,100000,1000000" },
    "database-url": { type: "string", default: process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/jobdeck_bench_data" },
    "idle-seconds": { type: "string", default: "30" },
  },
});
const STAGES = (values.stages as string).split(",").map(Number);
const URL_ = values["database-url"] as string;
const IDLE_SECONDS = Number(values["idle-seconds"]);
const ORG = "org_bench_big";
const RUNS = 7;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};

// The app's settings, read on first use: the bench database, retention that makes pruning due, and an active limit
// no stage reaches. Its Inngest (the embedded engine, started in main) is set once the engine listens.
Object.assign(process.env, {
  DATABASE_URL: URL_,
  JOBS_MAX_ACTIVE_PER_ORG: "100000",
  RETENTION_COMPLETED_DAYS: "60",
  RETENTION_FAILED_DAYS: "365",
  NODE_ENV: "production",
  INNGEST_SIGNING_KEY: `signkey-local-${"5a".repeat(32)}`,
  INNGEST_EVENT_KEY: "evtkey-bench-data-0123456789abcdef",
});

/** CPU clock ticks (1/100 s) used so far by each PostgreSQL process on this machine, by pid. */
function postgresTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) !== "postgres") continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks.set(entry, Number(fields[11]) + Number(fields[12])); // utime + stime
    } catch {
      // The process ended while we looked.
    }
  }
  return ticks;
}

/**
 * PostgreSQL CPU seconds between two samples: what each process present at the end used since the start (all of
 * it for a process that started meanwhile). A process that ended in between is not counted.
 */
function postgresCpuSince(start: Map<string, number>, only?: Set<string>): number {
  let ticks = 0;
  for (const [pid, t] of postgresTicks()) if (!only || only.has(pid)) ticks += t - (start.get(pid) ?? 0);
  return ticks / 100;
}

type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] };
const nodesOf = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodesOf)];

/** A plan in one line: its scans (index or table), and with ANALYZE the rows it returned and the buffers it read. */
function describePlan(root: PlanNode, analyze: boolean): string {
  const scans = nodesOf(root)
    .filter((n) => (String(n["Node Type"]).includes("Scan") && n["Relation Name"] !== undefined) || n["Index Name"] !== undefined)
    .map((n) => `${n["Node Type"]}${n["Index Name"] ? ` ${n["Index Name"]}` : ` ${n["Relation Name"]}`}`);
  const unique = [...new Set(scans)].join(", ");
  const buffers = Number(root["Shared Hit Blocks"] ?? 0) + Number(root["Shared Read Blocks"] ?? 0);
  return analyze ? `${unique}; rows ${root["Actual Rows"]}; buffers ${buffers}` : unique;
}

async function main(): Promise<void> {
  await recreateDatabase(URL_);
  await deploy(URL_);
  // The embedded engine on the same database, as `npm start` runs it (no app synced: the runs and events are seeded).
  const engine = new Engine({
    databaseUrl: URL_,
    schema: "engine",
    port: 0,
    resyncIntervalMs: 0,
    logger: pino({ level: "silent" }),
    signingKey: process.env.INNGEST_SIGNING_KEY as string,
    eventKeys: [process.env.INNGEST_EVENT_KEY as string],
    requireKeys: true,
  });
  await engine.start();
  process.env.INNGEST_DEV = engine.url;
  const { Prisma } = await import("../../generated/prisma/client.js");
  const { db } = await import("../../server/db.js");
  const { listJobs, countJobs, pageQuery, encodeCursor, isRareText } = await import("../../server/services/jobs/list-jobs.js");
  const { jobStats, jobChangesVersion } = await import("../../server/services/jobs/job-stats.js");
  const { getJob } = await import("../../server/services/jobs/get-job.js");
  const { createJob } = await import("../../server/services/jobs/create-job.js");
  const { bulkJobs, matchingIdsQuery } = await import("../../server/services/jobs/bulk-jobs.js");
  const { healthFor } = await import("../../server/services/system/get-health.js");
  const { pruneJobsBatch, pruneCandidates } = await import("../../server/services/maintenance/prune-old-jobs.js");
  const { stalledCandidates } = await import("../../server/services/maintenance/recover-stalled-jobs.js");
  const { aggregateQueueStats, queueStatsStatement } = await import("../../server/services/stats/aggregate-queue-stats.js");
  const { createCaller } = await import("../../server/api/root.js");
  type Sql = InstanceType<typeof Prisma.Sql>;

  const client = new pg.Client({ connectionString: URL_ });
  await client.connect();
  const scope = { orgId: ORG, userId: "bench" };
  const report: string[] = [];
  const out = (line: string) => {
    console.log(line);
    report.push(line);
  };

  async function planOf(query: Sql, analyze = true): Promise<string> {
    const opts = Prisma.raw(analyze ? "ANALYZE, BUFFERS, FORMAT JSON" : "FORMAT JSON");
    const rows = await db().$queryRaw<Array<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>>`EXPLAIN (${opts}) ${query}`;
    return describePlan(rows[0]?.["QUERY PLAN"][0]?.Plan as PlanNode, analyze);
  }

  async function sqlPlanOf(sql: string, params: unknown[]): Promise<string> {
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params);
    const root = rows[0]["QUERY PLAN"][0].Plan as PlanNode;
    return describePlan(root, true);
  }

  async function measure(name: string, fn: () => Promise<unknown>, plan?: () => Promise<string>, runs = RUNS): Promise<void> {
    await fn(); // warm: the first call also plans and loads the code
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await fn();
      ms.push(performance.now() - t0);
    }
    out(`| ${name} | ${pct(ms, 50).toFixed(1)} | ${pct(ms, 95).toFixed(1)} | ${plan ? await plan() : ""} |`);
  }

  let seeded = 0;
  for (const size of STAGES) {
    const previous = seeded;
    const t0 = performance.now();
    // Each stage adds older history: the organization's jobs always span up to 90 days back from now.
    const last = STAGES[STAGES.length - 1] as number;
    await seedJobs(client, {
      orgId: ORG,
      count: size - seeded,
      days: (90 * (size - seeded)) / last,
      endDaysAgo: (90 * seeded) / last,
      stepsPerJob: 5,
      rareAt: seeded === 0 ? 7_777 : undefined,
    });
    seeded = size;
    await seedEngine(client, { orgId: ORG, rareAt: 7_777 });
    if (size === STAGES[STAGES.length - 1]) {
      for (let i = 0; i < 50; i++) {
        await seedJobs(client, { orgId: `org_bench_${i}`, count: 10_000, days: 90, stepsPerJob: 5 });
        await seedEngine(client, { orgId: `org_bench_${i}` });
      }
    }
    await client.query("VACUUM ANALYZE");
    const total = Number((await client.query(`SELECT count(*) FROM "Job"`)).rows[0].count);
    out(
      `\n### ${size.toLocaleString("en")} jobs in the organization (${total.toLocaleString("en")} in the table; seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s)\n`,
    );
    out("| call | p50 ms | p95 ms | plan (scans; rows; buffers) |");
    out("|---|---|---|---|");

    const half = (
      await client.query(`SELECT "createdAt", "id" FROM "Job" WHERE "orgId" = $1 ORDER BY "createdAt" DESC, "id" DESC OFFSET $2 LIMIT 1`, [
        ORG,
        Math.floor(size / 2),
      ])
    ).rows[0];
    const cursor = encodeCursor(half.createdAt, half.id);
    const someJob = half.id as string;
    await measure(
      "GET /api/jobs first page",
      () => listJobs(scope, {}),
      () => planOf(pageQuery(scope, {}, undefined, 26)),
    );
    await measure(
      "GET /api/jobs cursor half-way",
      () => listJobs(scope, { cursor }),
      () => planOf(pageQuery(scope, {}, half, 26)),
    );
    await measure(
      "GET /api/jobs?status=FAILED",
      () => listJobs(scope, { status: "FAILED" }),
      () => planOf(pageQuery(scope, { status: "FAILED" }, undefined, 26)),
    );
    await measure(
      "GET /api/jobs?type=render-report",
      () => listJobs(scope, { type: "render-report" }),
      () => planOf(pageQuery(scope, { type: "render-report" }, undefined, 26)),
    );
    for (const [what, q] of [
      ["rare word", "zanzibar"],
      ["common words", "cust-42"],
    ] as const) {
      await measure(
        `GET /api/jobs?q=${q} (${what})`,
        () => listJobs(scope, { q }),
        async () => planOf(pageQuery(scope, { q }, undefined, 26, await isRareText(q))),
      );
    }
    await measure(
      "failed badge list (unacknowledged)",
      () => listJobs(scope, { unacknowledged: true, limit: 5 }),
      () => planOf(pageQuery(scope, { unacknowledged: true }, undefined, 6)),
    );
    await measureObservability({ client, scope, measure, planOf: planOf as never, sqlPlanOf });
    await measure("job.count (status filter, exact)", () => countJobs(scope, { status: "COMPLETED" }));
    await measure("job.count ?q=task (bounded at 1,000)", () => countJobs(scope, { q: "task" }));
    await measure("GET /api/dashboard (job.stats)", () => jobStats(scope));
    await measure("job.version (idle poll)", () => jobChangesVersion(scope));
    await measure("job detail with steps", () => getJob(scope, someJob));
    await measure("GET /api/health (public)", () => healthFor({ operator: false, scope: null }));
    await measure("GET /api/health (member)", () => healthFor({ operator: false, scope }));
    await measure("GET /api/health (operator)", () => healthFor({ operator: true, scope }));
    await measure("job.create (limit + idempotency check)", () => createJob(scope, { type: "demo-task", payload: {} }, "API"));
    // Creates under concurrency: 10 callers at once, all in one organization (they share its lock) or spread over
    // twenty. Before the single-statement create: 33/s for one organization against 50–58 for twenty.
    for (const orgs of [1, 20]) {
      const total = 400;
      const t = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (next < total) {
            const i = next++;
            await createJob(
              { orgId: orgs === 1 ? ORG : `org_bench_creates_${i % orgs}`, userId: "bench" },
              { type: "demo-task", payload: {} },
              "API",
            );
          }
        }),
      );
      out(
        `| job.create ×${total}, 10 at once, ${orgs === 1 ? "one organization" : "twenty organizations"} | ${(total / ((performance.now() - t) / 1000)).toFixed(0)}/s | | |`,
      );
    }
    await measure(
      "stalled-recovery candidates",
      () => db().$queryRaw(stalledCandidates(new Date(Date.now() - 30 * 60_000), 500)),
      () => planOf(stalledCandidates(new Date(Date.now() - 30 * 60_000), 500)),
    );
    await measure(
      "snapshot-queue-stats (2 minutes, all orgs)",
      () => aggregateQueueStats({ from: new Date(Date.now() - 120_000), to: new Date() }),
      () => planOf(queueStatsStatement({ from: new Date(Date.now() - 120_000), to: new Date() }), false),
    );
    await measure("sync-analytics (60 minutes, one org)", () =>
      aggregateQueueStats({ from: new Date(Date.now() - 3_600_000), to: new Date(), orgId: ORG }),
    );
    await measure(
      "prune: nothing due check (failed, 365 d)",
      () => pruneJobsBatch("failed"),
      () => planOf(pruneCandidates(["FAILED", "CANCELLED"], new Date(Date.now() - 365 * 86_400_000), 501)),
    );
    await measure(
      "prune: one batch of 500 (completed, 60 d)",
      () => pruneJobsBatch("completed"),
      () => planOf(pruneCandidates(["COMPLETED"], new Date(Date.now() - 60 * 86_400_000), 501)),
      5,
    );
    // Up to 8 days of the history this stage added (~1% of it failed): about 900 failures at 100k and 1M.
    const addedDays = (90 * (size - previous)) / last;
    const fromDays = (90 * previous) / last + Math.min(8, addedDays);
    const filter = {
      status: "FAILED" as const,
      createdFrom: new Date(Date.now() - fromDays * 86_400_000),
      createdTo: new Date(Date.now() - ((90 * previous) / last) * 86_400_000),
    };
    const bulkIds = await db().$queryRaw<unknown[]>(matchingIdsQuery(scope, filter, ["FAILED"], false));
    const tb = performance.now();
    const bulk = await bulkJobs(scope, { action: "retry", filter });
    out(
      `| job.bulk retry of ${bulk.done} failed jobs (one request) | ${(performance.now() - tb).toFixed(0)} | | matched ${bulkIds.length} |`,
    );

    // Five idle console tabs: what each polls on the overview when nothing changes (the version, every 1.5 s;
    // the charts every 10 s), through the tRPC procedures the browser calls.
    const caller = createCaller({ identity: { userId: "bench", orgId: ORG, orgRole: "org:admin", source: "dev" } });
    await caller.job.version();
    const cpu0 = postgresTicks();
    const w0 = performance.now();
    const pollMs: number[] = [];
    const tab = async (t: number) => {
      await sleep(t * 300);
      let lastSeries = 0;
      while (performance.now() - w0 < IDLE_SECONDS * 1000) {
        const p0 = performance.now();
        await caller.job.version();
        if (performance.now() - lastSeries > 10_000) {
          await caller.job.series({ minutes: 60 });
          lastSeries = performance.now();
        }
        pollMs.push(performance.now() - p0);
        await sleep(1500);
      }
    };
    await Promise.all([0, 1, 2, 3, 4].map(tab));
    const seconds = (performance.now() - w0) / 1000;
    // The backends serving the app's connections (the tabs' polls), apart from background work such as autovacuum.
    const appBackends = new Set(
      (
        await client.query(`SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
      ).rows.map((r: { pid: string }) => r.pid),
    );
    const app = postgresCpuSince(cpu0, appBackends) / seconds;
    const all = postgresCpuSince(cpu0) / seconds;
    out(
      `\nFive idle tabs for ${IDLE_SECONDS} s: ${pollMs.length} polls, p50 ${pct(pollMs, 50).toFixed(1)} ms, p95 ${pct(pollMs, 95).toFixed(1)} ms; database CPU ${(app * 100).toFixed(2)}% of one core in the backends serving them, ${(all * 100).toFixed(2)}% for every PostgreSQL process on the machine (autovacuum included).`,
    );
  }

  // Retention at size: prune until nothing is due, and what it leaves for autovacuum.
  const dead = async () => (await client.query(`SELECT n_live_tup, n_dead_tup FROM pg_stat_user_tables WHERE relname = 'Job'`)).rows[0];
  await client.query(`SELECT pg_stat_force_next_flush()`).catch(() => undefined);
  const before = await dead();
  const tp = performance.now();
  let deleted = 0;
  let batches = 0;
  const longest: number[] = [];
  for (;;) {
    const t = performance.now();
    const b = await pruneJobsBatch("completed", 500);
    longest.push(performance.now() - t);
    deleted += b.deleted;
    batches++;
    if (!b.more) break;
  }
  await sleep(1000);
  const after = await dead();
  await client.query(`VACUUM "Job"`);
  await sleep(1000);
  const vacuumed = await dead();
  out(
    `\nRetention: pruned ${deleted.toLocaleString("en")} completed jobs (and their steps) older than 60 days in ${batches} batches of 500, ${((performance.now() - tp) / 1000).toFixed(0)} s; batch p50 ${pct(longest, 50).toFixed(0)} ms, p95 ${pct(longest, 95).toFixed(0)} ms, longest ${Math.max(...longest).toFixed(0)} ms (each batch its own short transaction).`,
  );
  out(
    `Job dead tuples: before ${before.n_dead_tup}, after pruning ${after.n_dead_tup}, after VACUUM ${vacuumed.n_dead_tup} (live ${vacuumed.n_live_tup}).`,
  );

  await client.end();
  await engine.stop(1000);
  mkdirSync("bench/results", { recursive: true });
  const file = `bench/results/data-${new Date().toISOString().replace(/[:.]/g, "-")}.md`;
  writeFileSync(file, `${report.join("\n")}\n`);
  console.log(`\nwritten to ${file}`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
