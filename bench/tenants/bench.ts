/**
 * `npm run bench:tenants`: whether one organization's backlog makes the others wait. `npm start` (production build,
 * Clerk with locally minted tokens, real PostgreSQL) with the benchmarks' slot-holding job type (bench-slot: one step
 * holding one of ten slots for --hold-ms, all ten usable by one organization alone).
 *
 * Three phases, measured side by side in one run:
 *   1. idle: orgs b–e each create one job a second through POST /api/jobs for --seconds;
 *   2. solo: org_a (its plan raised by an operator through PUT /api/plans) bulk-creates --jobs through
 *      POST /api/jobs/batch and works through them alone;
 *   3. together: org_a bulk-creates --jobs again while b–e trickle as in 1.
 * Prints b–e's create→start p50/p95 idle and together, org_a's throughput together against solo (over the same
 * window after its first create), and the slot-seconds left idle while runs waited for a slot (the engine's
 * /health `slots_waited_on`, sampled every 50 ms), and where b–e's create→start went leg by leg (the engine's event
 * and run times against the job's). Goals from issue 25, printed beside the numbers; no assertions.
 *
 *   npm run bench:tenants -- [--jobs 20000] [--seconds 60] [--hold-ms 20] [--database-url postgres://…]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { clerkTestKeys, mintSessionToken } from "../../tests/support/clerk.js";
import { launchStack } from "../../tests/support/launch-stack.js";
import { ensureNextBuild } from "../../tests/support/next-build.js";
import { recreateDatabase } from "../lib/databases.js";
import { load, percentile } from "../peers/measure.js";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "20000" },
    seconds: { type: "string", default: "60" },
    "hold-ms": { type: "string", default: "20" },
    "database-url": {
      type: "string",
      default: process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/jobdeck_tenants_bench",
    },
  },
});
const JOBS = Number(values.jobs);
const SECONDS = Number(values.seconds);
const HOLD_MS = Number(values["hold-ms"]);
const DB = values["database-url"] as string;
const SMALL = ["org_b", "org_c", "org_d", "org_e"];
const BATCH = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r0 = (x: number) => Math.round(x);
const r1 = (x: number) => Math.round(x * 10) / 10;

interface Stack {
  baseUrl: string;
  engineUrl: string;
}

async function post(stack: Stack, token: string, path: string, body: unknown, method = "POST"): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const slotJob = { type: "bench-slot", payload: { holdMs: HOLD_MS } };

/** Each of b–e creates one job a second for `seconds`; resolves with the ids created. */
async function trickle(stack: Stack, tokens: Map<string, string>, seconds: number): Promise<string[]> {
  const ids: string[] = [];
  await Promise.all(
    SMALL.map(async (org, i) => {
      await sleep((1000 / SMALL.length) * i); // spread over the second, as independent customers would be
      const t0 = performance.now();
      for (let s = 0; s < seconds; s++) {
        const job = await post(stack, tokens.get(org) as string, "/api/jobs", slotJob);
        ids.push(String(job.id));
        await sleep(Math.max(0, t0 + (s + 1) * 1000 - performance.now()));
      }
    }),
  );
  return ids;
}

/** org_a's jobs, `JOBS` of them, in batches of 1,000 through POST /api/jobs/batch. */
async function bulkCreate(stack: Stack, token: string): Promise<void> {
  for (let made = 0; made < JOBS; made += BATCH) {
    const items = Array.from({ length: Math.min(BATCH, JOBS - made) }, () => slotJob);
    await post(stack, token, "/api/jobs/batch", { items });
  }
}

/**
 * Samples the engine's /health every 50 ms while `work` runs: for each concurrency key runs wait on, its free slots
 * times the interval, summed (slot-seconds left idle while work waited).
 */
async function idleSlotSeconds<T>(stack: Stack, work: Promise<T>): Promise<{ result: T; idle: number; samples: number }> {
  let done = false;
  let idle = 0;
  let samples = 0;
  const sampler = (async () => {
    let last = performance.now();
    while (!done) {
      const health = (await (await fetch(`${stack.engineUrl}/health`)).json()) as {
        slots_waited_on: Array<{ limit: number; in_flight: number }>;
      };
      const now = performance.now();
      for (const k of health.slots_waited_on) idle += (Math.max(0, k.limit - k.in_flight) * (now - last)) / 1000;
      last = now;
      samples++;
      await sleep(50);
    }
  })();
  const result = await work;
  done = true;
  await sampler;
  return { result, idle, samples };
}

async function untilSettled(db: pg.Client, where: string, params: unknown[]): Promise<void> {
  for (;;) {
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM "Job" WHERE ${where} AND "finishedAt" IS NULL`, params);
    if (rows[0].n === 0) return;
    await sleep(250);
  }
}

/** create→start of the given jobs, in ms. */
async function startLatencies(db: pg.Client, ids: string[]): Promise<number[]> {
  const { rows } = await db.query(
    `SELECT EXTRACT(EPOCH FROM ("startedAt" - "createdAt")) * 1000 AS ms FROM "Job" WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return rows.map((r) => Number(r.ms));
}

/**
 * Where b–e's create→start went, leg by leg (p50/p95 ms): the create until the engine received its event (the app's
 * insert and relay), until the engine dispatched its run (the journal's commit and the wait for a slot), until the
 * job's first write in the functions worker (the request and its first statement).
 */
async function legs(db: pg.Client, ids: string[]): Promise<Array<{ leg: string; p50: number; p95: number }>> {
  const { rows } = await db.query(
    `SELECT e.received_at - extract(epoch FROM j."createdAt") * 1000 AS relay,
            r.started_at - e.received_at AS dispatch,
            extract(epoch FROM j."startedAt") * 1000 - r.started_at AS worker
       FROM "Job" j JOIN engine.runs r ON r.id = j."runId" JOIN engine.events e ON e.internal_id = r.event_ids[1]
      WHERE j.id = ANY($1::uuid[])`,
    [ids],
  );
  const of = (k: string) => rows.map((r) => Number(r[k]));
  return [
    ["create → event received", "relay"],
    ["event → run dispatched", "dispatch"],
    ["dispatched → job started", "worker"],
  ].map(([leg, k]) => ({
    leg: leg as string,
    p50: Math.round(percentile(of(k as string), 50)),
    p95: Math.round(percentile(of(k as string), 95)),
  }));
}

/** org_a's completions per second from `windowStart` for `SECONDS`, and from its first create to its last finish. */
async function throughput(db: pg.Client, since: Date): Promise<{ window: number; overall: number }> {
  const { rows } = await db.query(
    `SELECT min("createdAt") AS first, max("finishedAt") AS last,
            count(*) FILTER (WHERE "finishedAt" < min_created + make_interval(secs => $2))::int AS in_window
       FROM (SELECT *, min("createdAt") OVER () AS min_created FROM "Job" WHERE "orgId" = 'org_a' AND "createdAt" >= $1) j`,
    [since, SECONDS],
  );
  const { first, last, in_window } = rows[0];
  return { window: in_window / SECONDS, overall: JOBS / ((+last - +first) / 1000) };
}

async function main(): Promise<void> {
  await recreateDatabase(DB);
  const keys = clerkTestKeys();
  await ensureNextBuild(".next-clerk", { ...process.env, ...keys.env });
  const stack = await launchStack({
    ...keys.env,
    NEXT_DIST_DIR: ".next-clerk",
    DATABASE_URL: DB,
    JOBDECK_DATA_DIR: mkdtempSync(join(tmpdir(), "jobdeck-bench-tenants-")),
    JOBDECK_BENCH_JOB_TYPES: "1",
    JOBDECK_OPERATORS: "user_ops",
  });
  const mint = (userId: string, orgId: string) => mintSessionToken(keys.privateKey, { userId, orgId, ttlSec: 4 * 3600 });
  const tokens = new Map<string, string>();
  for (const org of ["org_a", ...SMALL]) tokens.set(org, await mint(`user_${org}`, org));
  const operator = await mint("user_ops", "org_ops");
  const db = new pg.Client({ connectionString: DB });
  await db.connect();
  try {
    await post(stack, operator, "/api/plans/org_a", { maxPendingJobs: JOBS + BATCH }, "PUT");
    // Warm-up: compiled routes, pools, JIT.
    const warm = await trickle(stack, tokens, 3);
    await untilSettled(db, `id = ANY($1::uuid[])`, [warm]);

    console.log(`1. idle: b–e one job a second each for ${SECONDS} s …`);
    const idle = await idleSlotSeconds(stack, trickle(stack, tokens, SECONDS));
    await untilSettled(db, `id = ANY($1::uuid[])`, [idle.result]);
    const idleLatency = await startLatencies(db, idle.result);

    console.log(`2. solo: org_a bulk-creates ${JOBS} …`);
    const soloSince = new Date();
    const solo = await idleSlotSeconds(
      stack,
      (async () => {
        await bulkCreate(stack, tokens.get("org_a") as string);
        await untilSettled(db, `"orgId" = 'org_a' AND "createdAt" >= $1`, [soloSince]);
      })(),
    );
    const soloRate = await throughput(db, soloSince);

    console.log(`3. together: org_a bulk-creates ${JOBS} while b–e trickle …`);
    const togetherSince = new Date();
    const together = await idleSlotSeconds(
      stack,
      (async () => {
        const [, ids] = await Promise.all([bulkCreate(stack, tokens.get("org_a") as string), trickle(stack, tokens, SECONDS)]);
        await untilSettled(db, `"orgId" = 'org_a' AND "createdAt" >= $1`, [togetherSince]);
        await untilSettled(db, `id = ANY($1::uuid[])`, [ids]);
        return ids;
      })(),
    );
    const togetherRate = await throughput(db, togetherSince);
    const togetherLatency = await startLatencies(db, together.result);

    const p = (xs: number[], q: number) => r0(percentile(xs, q));
    const [i50, i95, t50, t95] = [p(idleLatency, 50), p(idleLatency, 95), p(togetherLatency, 50), p(togetherLatency, 95)];
    const share = togetherRate.window / soloRate.window;
    const mark = (ok: boolean) => (ok ? "met" : "MISSED");
    console.log(`\nbench-slot jobs (one step holding a slot ${HOLD_MS} ms; 10 slots), load ${load()}`);
    console.log("| measure | org_a idle | org_a's backlog | goal |");
    console.log("| --- | --- | --- | --- |");
    console.log(`| b–e create→start p50 | ${i50} ms | ${t50} ms | |`);
    console.log(`| b–e create→start p95 | ${i95} ms | ${t95} ms | ≤ 2× idle and ≤ 1 s: ${mark(t95 <= 2 * i95 && t95 <= 1000)} |`);
    console.log(
      `| org_a jobs/s, first ${SECONDS} s | ${r1(soloRate.window)} (alone) | ${r1(togetherRate.window)} (${r0(share * 100)}%) | ≥ 90%: ${mark(share >= 0.9)} |`,
    );
    console.log(`| org_a jobs/s, all ${JOBS} | ${r1(soloRate.overall)} (alone) | ${r1(togetherRate.overall)} | |`);
    console.log(
      `| idle slot-seconds while work waited | ${r1(solo.idle)} (${solo.samples} samples) | ${r1(together.idle)} (${together.samples} samples) | 0: ${mark(solo.idle + together.idle < 1)} |`,
    );
    const [idleLegs, togetherLegs] = [await legs(db, idle.result), await legs(db, together.result)];
    for (const [i, l] of idleLegs.entries()) {
      const t = togetherLegs[i] as (typeof togetherLegs)[number];
      console.log(`| b–e ${l.leg}, p50 / p95 | ${l.p50} / ${l.p95} ms | ${t.p50} / ${t.p95} ms | |`);
    }
    console.log(`b–e jobs: ${idle.result.length} idle, ${together.result.length} with org_a's backlog`);
  } finally {
    await db.end();
    await stack.kill();
  }
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
