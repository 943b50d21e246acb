/**
 * `npm run bench:profile`: where a Jobdeck run's time goes. Drives one-step and five-step runs through the engine
 * and the SDK app (the bench:peers setup), then enqueues one-step jobs alone (the function paused, as bench:peers'
 * "enqueue alone"), with V8 CPU profiles on both processes, and reads PostgreSQL's own
 * counters around the measured window: transactions, rows written per table, and, where the server preloads
 * pg_stat_statements, every statement with its calls and time per run. Prints CPU ms per run for each process,
 * busy time by owner (package) and the hottest functions. No assertions.
 *
 *   npm run bench:profile -- [--runs 3000] [--five 1000] [--enqueue 20000] [--database-url postgres://…]
 */
import { mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { ensureDatabase } from "../lib/databases.js";
import { cpuSeconds } from "../peers/measure.js";
import { enqueueInBatches, jobdeck, type Kind, type RunningSystem } from "../peers/systems.js";
import { summarizeProfile } from "./summarize-profile.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3000" },
    five: { type: "string", default: "1000" },
    enqueue: { type: "string", default: "20000" },
    "database-url": { type: "string", default: process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/jobdeck_peers_bench" },
  },
});
const DB = values["database-url"] as string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r1 = (x: number) => Math.round(x * 10) / 10;

async function database(): Promise<{ client: pg.Client; statements: boolean }> {
  await ensureDatabase(DB);
  const client = new pg.Client({ connectionString: DB });
  await client.connect();
  const preload = (await client.query("SELECT current_setting('shared_preload_libraries') AS v")).rows[0].v as string;
  let statements = false;
  if (preload.includes("pg_stat_statements")) {
    await client.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    statements = true;
  }
  return { client, statements };
}

async function counters(client: pg.Client) {
  const db = (await client.query("SELECT xact_commit::float8 AS xacts FROM pg_stat_database WHERE datname = current_database()")).rows[0];
  const tables = (
    await client.query(
      `SELECT schemaname || '.' || relname AS t, n_tup_ins::float8 AS ins, n_tup_upd::float8 AS upd, n_tup_del::float8 AS del
         FROM pg_stat_user_tables WHERE schemaname LIKE 'bench_jobdeck_%'`,
    )
  ).rows as { t: string; ins: number; upd: number; del: number }[];
  return { xacts: db.xacts as number, tables: new Map(tables.map((t) => [t.t.replace(/^[^.]+\./, ""), t])) };
}

async function drive(system: RunningSystem, kind: Kind, n: number): Promise<void> {
  await system.reset();
  await enqueueInBatches(system, kind, n);
  while ((await system.samples()).completed < n) await sleep(20);
}

/** Enqueue alone (bench:peers): `n` one-step jobs sent in batches of 200 while the function is paused, so only the
 * engine's intake works; then it resumes and they run (outside the measured window). */
async function enqueueHeld(system: RunningSystem, n: number): Promise<void> {
  await system.reset();
  await system.hold(true);
  await enqueueInBatches(system, "one", n);
}

async function measure(system: RunningSystem, client: pg.Client, statements: boolean, kind: Kind | "enqueue", n: number): Promise<void> {
  const roles = system.roles?.() as Record<string, number>;
  // pg_stat_* counters are flushed by backends at most once a second.
  await sleep(1100);
  const before = await counters(client);
  if (statements) await client.query("SELECT pg_stat_statements_reset()");
  const cpu0 = Object.fromEntries(Object.entries(roles).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const t0 = performance.now();
  await (kind === "enqueue" ? enqueueHeld(system, n) : drive(system, kind, n));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = Object.fromEntries(
    Object.entries(roles).map(([k, pid]) => [k, Math.round(((cpuSeconds(pid) - (cpu0[k] as number)) / n) * 100_000) / 100]),
  );
  await sleep(1100);
  const after = await counters(client);
  const label = { one: "one-step runs", five: "five-step runs", enqueue: "one-step jobs enqueued alone (function paused)" }[kind];
  console.log(`\n## ${label}: ${n} in ${r1(seconds)} s (${r1(n / seconds)}/s)`);
  console.log(
    `CPU ms per run: ${Object.entries(cpu)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  console.log(`transactions per run: ${r1((after.xacts - before.xacts) / n)} (includes this script's few)`);
  console.log("rows written per run (inserted / updated / deleted):");
  for (const [table, a] of after.tables) {
    const b = before.tables.get(table) ?? { ins: 0, upd: 0, del: 0 };
    const per = (x: number) => r1(x / n);
    const total = a.ins - b.ins + a.upd - b.upd + a.del - b.del;
    if (total > 0) console.log(`  ${table}: ${per(a.ins - b.ins)} / ${per(a.upd - b.upd)} / ${per(a.del - b.del)}`);
  }
  if (statements) {
    const rows = (
      await client.query(
        `SELECT calls::float8 AS calls, total_exec_time AS ms, rows::float8 AS rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS q
           FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND query NOT LIKE '%pg_stat%' ORDER BY calls DESC LIMIT 20`,
      )
    ).rows as { calls: number; ms: number; rows: number; q: string }[];
    const calls = rows.reduce((s, r) => s + r.calls, 0);
    const ms = rows.reduce((s, r) => s + r.ms, 0);
    console.log(`statements per run: ${r1(calls / n)}, PostgreSQL execution ms per run ${Math.round((ms / n) * 100) / 100}:`);
    for (const r of rows) console.log(`  ${r1(r.calls / n)}× ${Math.round((r.ms / r.calls) * 1000) / 1000} ms  ${r.q}`);
  } else {
    console.log("(statements per run: start PostgreSQL with shared_preload_libraries = 'pg_stat_statements' to see them)");
  }
}

async function main(): Promise<void> {
  const { client, statements } = await database();
  const dir = resolve(`bench/results/profile-${new Date().toISOString().replace(/:/g, "-")}`);
  mkdirSync(dir, { recursive: true });
  const system = await jobdeck({ databaseUrl: DB, redisUrl: "", maxInFlight: 128, profileDir: dir }).start();
  const roles = system.roles?.() as Record<string, number>;
  await drive(system, "one", 300); // warm-up
  await measure(system, client, statements, "one", Number(values.runs));
  await measure(system, client, statements, "five", Number(values.five));
  await measure(system, client, statements, "enqueue", Number(values.enqueue));
  await system.hold(false);
  await system.stop();
  await client.end();
  for (const [role, pid] of Object.entries(roles)) {
    const file = readdirSync(dir).find((f) => f.includes(`.${pid}.`));
    if (!file) continue;
    const s = summarizeProfile(join(dir, file));
    console.log(
      `\n## ${role} profile (both phases and warm-up): busy ${Math.round(s.totalMs - s.idleMs)} ms of ${Math.round(s.totalMs)} ms`,
    );
    console.log("by owner:", s.byOwner.map((o) => `${o.owner} ${o.share}%`).join(", "));
    console.log("hottest functions (self time):");
    for (const f of s.byFunction) console.log(`  ${f.share}%  ${f.fn}`);
  }
  console.log(`\nprofiles in ${dir} (open in Chrome DevTools or speedscope)`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
