/**
 * `npm run bench:stack`: what a job costs through the whole stack a user runs. `npm start` (the production build,
 * the embedded engine in the launcher process, Next.js) on real PostgreSQL, with the benchmark's no-op job type
 * (one step, no flow control: JOBDECK_BENCH_JOB_TYPES=1). Jobs are created by `POST /api/jobs` from a number of
 * concurrent clients and timed to COMPLETED. Prints jobs/s, create latency, create→COMPLETED latency, CPU ms per
 * job of every process of the stack and of PostgreSQL, transactions and rows written to Job and JobStep per job. Then --bulk jobs are created in calls
 * of 1,000 through `POST /api/jobs/batch` (the time until every call answered, until the engine took every start event,
 * and until every job COMPLETED), and
 * the RSS of the stack's processes is read. No assertions.
 *
 * With --profile, every process of the stack writes a V8 CPU profile (summarized at the end) into bench/results.
 *
 *   npm run bench:stack -- [--jobs 2000] [--clients 16] [--bulk 10000] [--database-url postgres://…] [--profile]
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { AUTH_VARIABLES, launchStack } from "../../tests/support/launch-stack.js";
import { ensureNextBuild } from "../../tests/support/next-build.js";
import { recreateDatabase } from "../lib/databases.js";
import { cpuOfNamedSince, cpuSeconds, load, memoryMb, percentile, processTree } from "../peers/measure.js";
import { summarizeProfile } from "../profile/summarize-profile.js";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "2000" },
    clients: { type: "string", default: "16" },
    bulk: { type: "string", default: "10000" },
    "database-url": { type: "string", default: process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/jobdeck_stack_bench" },
    profile: { type: "boolean", default: false },
  },
});
const JOBS = Number(values.jobs);
const CLIENTS = Number(values.clients);
const BULK = Number(values.bulk);
const BATCH = 1000;
const DB = values["database-url"] as string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r1 = (x: number) => Math.round(x * 10) / 10;

/** The launcher and every process below it, each with what it is. */
function namedProcessTree(root: number): Map<number, string> {
  const named = new Map<number, string>();
  for (const pid of processTree(root)) {
    let name = "?";
    try {
      name = readFileSync(`/proc/${pid}/cmdline`, "utf8")
        .split("\0")
        .filter(Boolean)
        .slice(0, 4)
        .join(" ")
        .replace(/^.*?node /, "node ");
    } catch {
      // exited while we looked
    }
    named.set(pid, pid === root ? "launcher + embedded engine (scripts/dev.ts)" : name.slice(0, 70));
  }
  return named;
}

async function createJobs(baseUrl: string, n: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const client = async () => {
    while (next < n) {
      next++;
      const t0 = performance.now();
      const res = await fetch(`${baseUrl}/api/jobs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ type: "bench-noop", payload: {} }),
      });
      const text = await res.text();
      if (res.status !== 202) throw new Error(`POST /api/jobs answered ${res.status}: ${text.slice(0, 300)}`);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return latencies;
}

/** Creates `n` jobs in calls of BATCH items, one call at a time, as `npm run jobs:enqueue` does; returns seconds. */
async function bulkCreate(baseUrl: string, n: number): Promise<number> {
  const t0 = performance.now();
  for (let done = 0; done < n; done += BATCH) {
    const items = Array.from({ length: Math.min(BATCH, n - done) }, () => ({ type: "bench-noop", payload: {} }));
    const res = await fetch(`${baseUrl}/api/jobs/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ items }),
    });
    const text = await res.text();
    if (res.status !== 202) throw new Error(`POST /api/jobs/batch answered ${res.status}: ${text.slice(0, 300)}`);
  }
  return (performance.now() - t0) / 1000;
}

async function unsentEvents(db: pg.Client): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM "OutboxEvent" WHERE "sentAt" IS NULL`);
  return rows[0].n as number;
}

async function completed(db: pg.Client): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM "Job" WHERE "type" = 'bench-noop' AND "status" = 'COMPLETED'`);
  return rows[0].n as number;
}

async function main(): Promise<void> {
  await recreateDatabase(DB);
  const buildEnv = { ...process.env };
  delete buildEnv.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY;
  await ensureNextBuild(".next", buildEnv);
  const dataDir = mkdtempSync(join(tmpdir(), "jobdeck-bench-stack-"));
  const profileDir = resolve(`bench/results/stack-profile-${new Date().toISOString().replace(/:/g, "-")}`);
  if (values.profile) mkdirSync(profileDir, { recursive: true });
  const profiling: Record<string, string> = values.profile ? { JOBDECK_CPU_PROFILE_DIR: profileDir } : {};
  const stack = await launchStack(
    {
      DATABASE_URL: DB,
      JOBDECK_DATA_DIR: dataDir,
      JOBDECK_BENCH_JOB_TYPES: "1",
      ALLOW_DEV_AUTH: "1",
      // The bulk phase queues --bulk jobs at once: the organization's pending limit must hold them.
      JOBS_MAX_ACTIVE_PER_ORG: String(BULK + BATCH),
      ...profiling,
    },
    AUTH_VARIABLES,
    values.profile ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [],
  );
  const db = new pg.Client({ connectionString: DB });
  await db.connect();
  try {
    // Warm-up: compiled routes, pools, JIT.
    await createJobs(stack.baseUrl, 100);
    while ((await completed(db)) < 100) await sleep(100);
    await sleep(1100); // pg_stat_database is flushed at most once a second
    const tree = namedProcessTree(stack.process.pid as number);
    const cpu0 = new Map([...tree.keys()].map((pid) => [pid, cpuSeconds(pid)]));
    const postgresCpu = cpuOfNamedSince("postgres");
    const xacts = async () =>
      (await db.query("SELECT xact_commit::float8 AS x FROM pg_stat_database WHERE datname = current_database()")).rows[0].x as number;
    // Rows written to the job tables (inserts + updates): each write of Job touches its indexes and triggers.
    const rowWrites = async () =>
      new Map(
        (
          await db.query(
            `SELECT relname, (n_tup_ins + n_tup_upd)::float8 AS n FROM pg_stat_user_tables WHERE relname IN ('Job', 'JobStep')`,
          )
        ).rows.map((r) => [r.relname as string, r.n as number]),
      );
    const x0 = await xacts();
    const w0 = await rowWrites();
    const t0 = performance.now();
    const createLatency = await createJobs(stack.baseUrl, JOBS);
    const createdSeconds = (performance.now() - t0) / 1000;
    while ((await completed(db)) < JOBS + 100) await sleep(50);
    const seconds = (performance.now() - t0) / 1000;
    const pgCpu = postgresCpu();
    await sleep(1100);
    const x1 = await xacts();
    const w1 = await rowWrites();
    const { rows } = await db.query(
      `SELECT EXTRACT(EPOCH FROM ("finishedAt" - "createdAt")) * 1000 AS ms FROM "Job" WHERE "type" = 'bench-noop' ORDER BY "createdAt" OFFSET 100`,
    );
    const toCompleted = rows.map((r) => Number(r.ms));
    console.log(`\n${JOBS} bench-noop jobs through POST /api/jobs from ${CLIENTS} clients, load ${load()}`);
    console.log(`jobs/s (create → COMPLETED): ${r1(JOBS / seconds)}; creates/s: ${r1(JOBS / createdSeconds)}`);
    console.log(`POST /api/jobs latency ms: p50 ${r1(percentile(createLatency, 50))}, p99 ${r1(percentile(createLatency, 99))}`);
    console.log(`create → COMPLETED ms: p50 ${r1(percentile(toCompleted, 50))}, p99 ${r1(percentile(toCompleted, 99))}`);
    console.log("CPU ms per job:");
    let total = 0;
    for (const [pid, name] of tree) {
      const ms = ((cpuSeconds(pid) - (cpu0.get(pid) ?? 0)) / JOBS) * 1000;
      total += ms;
      if (ms >= 0.05) console.log(`  ${r1(ms)}  ${name} (peak RSS ${Math.round(memoryMb(pid).peak)} MB)`);
    }
    console.log(`  ${r1((pgCpu / JOBS) * 1000)}  PostgreSQL (all backends)`);
    console.log(`  ${r1(total + (pgCpu / JOBS) * 1000)}  in all`);
    console.log(`PostgreSQL transactions per job: ${r1((x1 - x0) / JOBS)}`);
    const perJob = (t: string) => r1(((w1.get(t) ?? 0) - (w0.get(t) ?? 0)) / JOBS);
    console.log(`rows written per job (inserted + updated): Job ${perJob("Job")}, JobStep ${perJob("JobStep")}`);
    const rssDuringThroughput = [...tree.keys()].reduce((sum, pid) => sum + memoryMb(pid).peak, 0);
    console.log(`peak RSS of the stack's processes (launcher + engine, Next.js, functions worker): ${Math.round(rssDuringThroughput)} MB`);

    if (BULK > 0) {
      const before = await completed(db);
      const b0 = performance.now();
      const createSeconds = await bulkCreate(stack.baseUrl, BULK);
      // The calls answer once the jobs are committed; their start events reach the engine after (the outbox).
      let sentSeconds = 0;
      for (;;) {
        const done = (await completed(db)) >= before + BULK;
        if (!sentSeconds && (done || (await unsentEvents(db)) === 0)) sentSeconds = (performance.now() - b0) / 1000;
        if (done) break;
        await sleep(100);
      }
      const drainSeconds = (performance.now() - b0) / 1000;
      console.log(
        `\nbulk: ${BULK} jobs through POST /api/jobs/batch (${BATCH} per call, one call at a time): created in ${r1(createSeconds)} s ` +
          `(${Math.round(BULK / createSeconds)} jobs/s); every start event taken by the engine after ${r1(sentSeconds)} s; ` +
          `all COMPLETED after ${r1(drainSeconds)} s (${r1(BULK / drainSeconds)} jobs/s)`,
      );
    }
  } finally {
    await db.end();
    await stack.kill();
  }
  if (values.profile) {
    for (const file of readdirSync(profileDir)) {
      const summary = summarizeProfile(join(profileDir, file), 25);
      if (summary.totalMs - summary.idleMs < 2000) continue; // short-lived helpers
      console.log(`\n## ${file}: busy ${Math.round(summary.totalMs - summary.idleMs)} ms`);
      console.log("by owner:", summary.byOwner.map((o) => `${o.owner} ${o.share}%`).join(", "));
      for (const f of summary.byFunction) console.log(`  ${f.share}%  ${f.fn}`);
    }
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
