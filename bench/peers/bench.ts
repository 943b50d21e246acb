/**
 * `npm run bench:peers`: Jobdeck (engine + SDK app, over the Inngest protocol) against the durable-execution engines
 * Restate and DBOS Transact and the queues pg-boss, graphile-worker and BullMQ, all started from this process, in interleaved rounds (the order rotates each round) on the same
 * PostgreSQL and Redis. Per system and round it measures:
 *   - throughput: N no-op one-step jobs, and N/… five-step jobs (five memoized steps for Jobdeck, Restate and DBOS;
 *     five chained jobs for the queues), enqueued in bulk;
 *   - CPU seconds per 1,000 one-step jobs of the system's own processes, and of its database server;
 *   - enqueue alone: the rate at which --enqueue one-step jobs are enqueued in bulk while the system's consumers
 *     are held (a paused function for Jobdeck, a paused or stopped worker for the queues; Restate and DBOS run what
 *     they are sent, so they have none), after which every job must complete;
 *   - enqueue→start and step→step latency at offered rates (one job at a time, `--rates`);
 * and prints medians over the rounds with the ratio to Jobdeck, the load average, and a JSON file in
 * bench/results. A system whose service is absent is skipped with a line saying why. No assertions.
 *
 *   npm run bench:peers -- [--rounds 3] [--jobs 3000] [--five 1000] [--enqueue 10000] [--rates 10,50,100] [--seconds 5]
 *                          [--systems Jobdeck,Jobdeck-buffered,Restate,DBOS,pg-boss,graphile-worker,BullMQ] [--database-url …] [--redis-url …]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { ensureDatabase } from "../lib/databases.js";
import { dbos, restate } from "./durable-engines.js";
import { cpuOfNamedSince, cpuSeconds, load, median, memoryMb, percentile } from "./measure.js";
import {
  bullmq,
  enqueueInBatches,
  graphileWorker,
  jobdeck,
  type Kind,
  newJob,
  pgBoss,
  type RunningSystem,
  type SystemDefinition,
} from "./systems.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    jobs: { type: "string", default: "3000" },
    five: { type: "string", default: "1000" },
    enqueue: { type: "string", default: "10000" },
    rates: { type: "string", default: "10,50,100" },
    seconds: { type: "string", default: "5" },
    systems: { type: "string", default: "Jobdeck,Jobdeck-buffered,Restate,DBOS,pg-boss,graphile-worker,BullMQ" },
    "database-url": { type: "string", default: process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/jobdeck_peers_bench" },
    "redis-url": { type: "string", default: process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379" },
    "max-in-flight": { type: "string", default: "128" },
  },
});
const ROUNDS = Number(values.rounds);
const JOBS = Number(values.jobs);
const FIVE = Number(values.five);
const ENQUEUE = Number(values.enqueue);
const RATES = (values.rates as string).split(",").map(Number);
const SECONDS = Number(values.seconds);
const config = {
  databaseUrl: values["database-url"] as string,
  redisUrl: values["redis-url"] as string,
  maxInFlight: Number(values["max-in-flight"]),
};
const DRAIN_TIMEOUT_MS = 180_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

async function drain(system: RunningSystem, count: number): Promise<boolean> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if ((await system.samples()).completed >= count) return true;
    await sleep(10);
  }
  return false;
}

interface Throughput {
  jobsPerSec: number;
  cpuPer1000: number;
  dbCpuPer1000: number;
}

/** Enqueue `count` jobs in bulk from two producers (batches of 200) and time until the last one completes. */
async function throughput(def: SystemDefinition, system: RunningSystem, kind: Kind, count: number): Promise<Throughput> {
  await system.reset();
  const cpu0 = system.pids().reduce((s, pid) => s + cpuSeconds(pid), 0);
  const databaseCpu = def.databaseProcess ? cpuOfNamedSince(def.databaseProcess) : () => 0;
  const t0 = performance.now();
  await enqueueInBatches(system, kind, count, 2);
  const finished = await drain(system, count);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = system.pids().reduce((s, pid) => s + cpuSeconds(pid), 0) - cpu0;
  const db = databaseCpu();
  if (!finished) console.log(`  ${def.name}: ${kind}-step throughput did not finish in ${DRAIN_TIMEOUT_MS / 1000} s`);
  return { jobsPerSec: finished ? count / seconds : Number.NaN, cpuPer1000: (cpu / count) * 1000, dbCpuPer1000: (db / count) * 1000 };
}

/**
 * Enqueue alone: with the system's consumers held (its one-step jobs wait in its queue), the rate at which `count`
 * jobs are enqueued in bulk from two producers (batches of 200), as in `throughput`; then the consumers are let go
 * and every job must complete. NaN for a system that cannot hold its consumers.
 */
async function enqueueAlone(system: RunningSystem, count: number): Promise<number> {
  await system.reset();
  if (!(await system.hold(true))) return Number.NaN;
  const t0 = performance.now();
  await enqueueInBatches(system, "one", count, 2);
  const seconds = (performance.now() - t0) / 1000;
  await system.hold(false);
  return (await drain(system, count)) ? count / seconds : Number.NaN;
}

/** Offer jobs one at a time at `rate` per second for SECONDS, and return the latency samples once all completed. */
async function offered(system: RunningSystem, kind: Kind, rate: number): Promise<number[]> {
  await system.reset();
  const total = Math.max(1, Math.round(rate * SECONDS));
  const interval = 1000 / rate;
  const t0 = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 0) await sleep(wait);
    sends.push(system.enqueueOne(kind, newJob()));
  }
  await Promise.all(sends);
  await drain(system, total);
  const samples = await system.samples();
  return kind === "one" ? samples.enqueueToStart : samples.stepToStep;
}

type Row = Record<string, number[]>;

async function main(): Promise<void> {
  // No PostgreSQL: the systems that need it say so and are skipped.
  await ensureDatabase(config.databaseUrl).catch(() => {});
  const wanted = new Set((values.systems as string).split(","));
  const all = [
    jobdeck(config),
    // The same with finished steps reported together (STEP_CHECKPOINT_BUFFER, env.ts: an operator's opt-in).
    jobdeck(config, { name: "Jobdeck-buffered", appEnv: { STEP_CHECKPOINT_BUFFER: "10" } }),
    restate(),
    dbos(config),
    pgBoss(config),
    graphileWorker(config),
    bullmq(config),
  ].filter((d) => wanted.has(d.name));
  const running = new Map<string, { def: SystemDefinition; system: RunningSystem }>();
  for (const def of all) {
    const why = await def.unavailable();
    if (why) {
      console.log(`skipping ${def.name}: ${why}`);
      continue;
    }
    running.set(def.name, { def, system: await def.start() });
    console.log(`started ${def.name}`);
  }
  const names = [...running.keys()];
  const results = new Map<string, Row>(names.map((n) => [n, {}]));
  const record = (name: string, measure: string, value: number) => {
    const row = results.get(name) as Row;
    (row[measure] ??= []).push(value);
  };
  const loads: string[] = [`start ${load()}`];

  // Warm-up: JITs, connection pools, prepared statements.
  for (const { def, system } of running.values()) await throughput(def, system, "one", 300);

  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length] as string);
    for (const name of order) {
      const { def, system } = running.get(name) as { def: SystemDefinition; system: RunningSystem };
      const one = await throughput(def, system, "one", JOBS);
      const five = await throughput(def, system, "five", FIVE);
      record(name, "one-step jobs/s", one.jobsPerSec);
      record(name, "five-step jobs/s", five.jobsPerSec);
      record(name, "CPU s / 1,000 one-step jobs, system", one.cpuPer1000);
      record(name, "CPU s / 1,000 one-step jobs, database server", one.dbCpuPer1000);
      record(name, "CPU s / 1,000 five-step jobs, system", five.cpuPer1000);
      const alone = await enqueueAlone(system, ENQUEUE);
      if (Number.isFinite(alone)) record(name, "enqueue alone, jobs/s (consumers held)", alone);
      for (const rate of RATES) {
        record(name, `enqueue→start p50 ms at ${rate}/s`, median(await offered(system, "one", rate)));
        const steps = await offered(system, "five", Math.max(1, rate / 5));
        record(name, `step→step p50 ms at ${rate} steps/s`, median(steps));
        record(name, `step→step p99 ms at ${rate} steps/s`, percentile(steps, 99));
      }
      console.log(
        `round ${r + 1} ${name}: ${round(one.jobsPerSec)} one-step/s, ${round(five.jobsPerSec)} five-step/s, ` +
          `${round(one.cpuPer1000, 2)} CPU s/1k (db ${round(one.dbCpuPer1000, 2)}), load ${load()}`,
      );
    }
    loads.push(`after round ${r + 1} ${load()}`);
  }
  for (const name of names) {
    const { system } = running.get(name) as { system: RunningSystem };
    record(
      name,
      "peak RSS MB, system processes",
      system.pids().reduce((s, pid) => s + memoryMb(pid).peak, 0),
    );
  }

  // Every measure any system has, in the order measured (a system that cannot hold its consumers has no enqueue alone).
  const measures = [...new Set(names.flatMap((n) => Object.keys(results.get(n) ?? {})))];
  const base = results.get("Jobdeck");
  const cell = (name: string, measure: string) => {
    const xs = results.get(name)?.[measure] ?? [];
    if (!xs.length) return "n/a";
    const m = median(xs);
    const digits = m < 1 ? 2 : 1;
    const range = xs.length > 1 ? ` [${round(Math.min(...xs), digits)}–${round(Math.max(...xs), digits)}]` : "";
    const ratio = base && name !== "Jobdeck" ? ` (${round(m / median(base[measure] ?? []), 2)}×)` : "";
    return `${round(m, digits)}${range}${ratio}`;
  };
  const lines = [
    `| measure (median of ${ROUNDS} rounds [range] (ratio to Jobdeck)) | ${names.join(" | ")} |`,
    `|---|${names.map(() => "---").join("|")}|`,
    ...measures.map((m) => `| ${m} | ${names.map((n) => cell(n, m)).join(" | ")} |`),
  ];
  console.log(`\n${cpus().length} CPUs, ${JOBS} one-step and ${FIVE} five-step jobs per round, offered rates for ${SECONDS} s`);
  console.log(lines.join("\n"));
  console.log(`load average (1/5/15 min): ${loads.join("; ")}`);

  const date = new Date().toISOString();
  mkdirSync("bench/results", { recursive: true });
  const file = `bench/results/peers-${date}.json`.replace(/:/g, "-");
  writeFileSync(
    file,
    JSON.stringify({ date, rounds: ROUNDS, jobs: JOBS, five: FIVE, rates: RATES, loads, results: Object.fromEntries(results) }, null, 2),
  );
  console.log(`written to ${file}`);
  for (const { system } of running.values()) await system.stop();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
