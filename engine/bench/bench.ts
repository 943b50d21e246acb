/**
 * `npm run bench:engine`: the engine (child process, its CLI) driving a minimal SDK app (child process) on
 * PostgreSQL. Prints runs/s for 1-step and 5-step runs, event→first-request and step-transition percentiles at
 * a fixed offered rate, peak RSS, and the RSS with many sleeping runs. No assertions: numbers to compare.
 *
 *   npm run bench:engine -- [--runs 5000] [--five 2000] [--rate 100] [--seconds 10] [--sleepers 100000]
 *                           [--database-url postgres://…] [--max-in-flight 128]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import pg from "pg";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5000" },
    five: { type: "string", default: "2000" },
    rate: { type: "string", default: "100" },
    seconds: { type: "string", default: "10" },
    sleepers: { type: "string", default: "100000" },
    "database-url": {
      type: "string",
      default: process.env.ENGINE_BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/jobdeck_engine_bench",
    },
    "max-in-flight": { type: "string", default: "128" },
  },
});
const N1 = Number(values.runs);
const N5 = Number(values.five);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const SLEEPERS = Number(values.sleepers);
const DB = values["database-url"] as string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function ensureDatabase(url: string): Promise<void> {
  const admin = new URL(url);
  const name = admin.pathname.slice(1);
  admin.pathname = "/postgres";
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  const { rowCount } = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  if (!rowCount) await c.query(`CREATE DATABASE "${name}"`);
  await c.end();
}

function spawnReady(args: string[], env: Record<string, string>, pattern: RegExp): Promise<{ proc: ChildProcess; match: RegExpExecArray }> {
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout?.on("data", (d) => {
      out += String(d);
      const m = pattern.exec(out);
      if (m) resolve({ proc, match: m });
      if (out.length > 100_000) out = out.slice(-10_000);
    });
    proc.on("exit", (code) => reject(new Error(`${args.join(" ")} exited ${code}: ${out.slice(-2000)}`)));
  });
}

function procMemory(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: round(kb("VmRSS") / 1024), peakMb: round(kb("VmHWM") / 1024) };
}

async function main(): Promise<void> {
  await ensureDatabase(DB);
  const schema = `bench_${Date.now()}`;
  const enginePort = 18288 + Math.floor(Math.random() * 1000);
  const engineUrl = `http://127.0.0.1:${enginePort}`;
  const app = await spawnReady(["--import", "tsx", "engine/bench/sdk-app.ts"], { BENCH_ENGINE_URL: engineUrl }, /READY (\S+)/);
  const appUrl = app.match[1] as string;
  const appBase = appUrl.replace("/api/inngest", "");
  const engineProc = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "engine/src/cli.ts",
      "--database-url",
      DB,
      "--schema",
      schema,
      "--port",
      String(enginePort),
      "--poll-interval",
      "0",
      "--max-in-flight",
      values["max-in-flight"] as string,
      "-u",
      appUrl,
    ],
    {
      env: { ...process.env, ENGINE_LOG_LEVEL: "warn" },
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  const stopAll = () => {
    engineProc.kill("SIGKILL");
    app.proc.kill("SIGKILL");
  };
  process.on("exit", stopAll);
  for (;;) {
    try {
      const h = await (await fetch(`${engineUrl}/health`)).json();
      const fns = await (await fetch(`${engineUrl}/v1/functions`)).json();
      if (h.role === "active" && fns.data.length === 3) break;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    database: new URL(DB).host,
    cpus: (await import("node:os")).cpus().length,
  };
  const stats = async () =>
    (await (await fetch(`${appBase}/stats`)).json()) as { firstRequest: number[]; transitions: number[]; completed: number };
  const reset = () => fetch(`${appBase}/stats`, { method: "DELETE" });
  const send = (events: unknown[]) =>
    fetch(`${engineUrl}/e/bench`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(events) }).then(
      (r) => {
        if (r.status !== 200) throw new Error(`send failed: ${r.status}`);
      },
    );

  async function throughput(name: string, event: string, n: number): Promise<number> {
    await reset();
    const t0 = performance.now();
    const batch = 200;
    let next = 0;
    const producer = async () => {
      while (next < n) {
        const size = Math.min(batch, n - next);
        next += size;
        await send(Array.from({ length: size }, () => ({ name: event, data: { sentAt: performance.timeOrigin + performance.now() } })));
      }
    };
    await Promise.all([producer(), producer()]);
    for (;;) {
      const s = await stats();
      if (s.completed >= n) break;
      await sleep(20);
    }
    const seconds = (performance.now() - t0) / 1000;
    const rate = n / seconds;
    console.log(`${name}: ${n} runs in ${round(seconds, 2)} s = ${round(rate)} runs/s`);
    return rate;
  }

  async function offered(event: string, rate: number, seconds: number) {
    await reset();
    const total = rate * seconds;
    const interval = 1000 / rate;
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      void send([{ name: event, data: { sentAt: performance.timeOrigin + performance.now() } }]);
    }
    for (;;) {
      const s = await stats();
      if (s.completed >= total) return s;
      await sleep(50);
    }
  }

  // Warm up JITs and connection pools.
  await throughput("warm-up", "bench/one", 300);

  results.oneStepRunsPerSec = round(await throughput("1-step runs", "bench/one", N1));
  results.fiveStepRunsPerSec = round(await throughput("5-step runs", "bench/five", N5));

  const engineLatency = async () => (await (await fetch(`${engineUrl}/health`)).json()).latency_ms;
  const resetLatency = () => fetch(`${engineUrl}/v1/metrics/latency`, { method: "DELETE" });
  await resetLatency();
  const one = await offered("bench/one", RATE, SECONDS);
  const oneEngine = (await engineLatency()).event_to_first_request;
  const fiveRate = Math.max(1, Math.round(RATE / 5));
  await resetLatency();
  const five = await offered("bench/five", fiveRate, SECONDS);
  const fiveEngine = (await engineLatency()).step_transition;
  const summary = (xs: number[]) => ({ p50: pct(xs, 50), p90: pct(xs, 90), p99: pct(xs, 99), n: xs.length });
  results.offered = {
    oneStep: { runsPerSec: RATE, seconds: SECONDS, eventToFirstRequestMs: summary(one.firstRequest) },
    fiveSteps: {
      runsPerSec: fiveRate,
      seconds: SECONDS,
      eventToFirstRequestMs: summary(five.firstRequest),
      stepTransitionMs: summary(five.transitions),
    },
  };
  console.log(
    `offered ${RATE} 1-step runs/s for ${SECONDS}s: event→first request (seen by the app)`,
    JSON.stringify(summary(one.firstRequest)),
    "engine side",
    JSON.stringify(oneEngine),
  );
  console.log(
    `offered ${fiveRate} 5-step runs/s (${fiveRate * 5} steps/s): step transition (seen by the app)`,
    JSON.stringify(summary(five.transitions)),
    "engine side (checkpoint recorded / next request sent)",
    JSON.stringify(fiveEngine),
  );
  const peak = procMemory(engineProc.pid as number);
  results.enginePeakRssMbAfterThroughput = peak.peakMb;
  console.log(`engine RSS ${peak.rssMb} MB, peak ${peak.peakMb} MB`);

  // The engine's own ceiling: the same 1-step work answered by a minimal protocol responder instead of the SDK.
  {
    const raw = await spawnReady(["--import", "tsx", "engine/bench/raw-app.ts"], {}, /READY (\S+)/);
    const rawUrl = raw.match[1] as string;
    const rawBase = rawUrl.replace("/api/inngest", "");
    const fnUrl = `${rawUrl}?fnId=raw-one&stepId=step`;
    const reg = await fetch(`${engineUrl}/fn/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        url: rawUrl,
        appName: "raw",
        functions: [
          {
            id: "raw-one",
            name: "raw-one",
            triggers: [{ event: "bench/raw" }],
            steps: { step: { id: "step", name: "step", runtime: { type: "http", url: fnUrl } } },
          },
        ],
      }),
    });
    if (reg.status !== 200) throw new Error(`raw register failed: ${await reg.text()}`);
    await fetch(`${rawBase}/stats`, { method: "DELETE" });
    const t0 = performance.now();
    const n = N1;
    let next = 0;
    const producer = async () => {
      while (next < n) {
        const size = Math.min(200, n - next);
        next += size;
        await send(Array.from({ length: size }, () => ({ name: "bench/raw", data: {} })));
      }
    };
    await Promise.all([producer(), producer()]);
    for (;;) {
      const s = (await (await fetch(`${rawBase}/stats`)).json()) as { completed: number };
      if (s.completed >= n) break;
      await sleep(20);
    }
    const secs = (performance.now() - t0) / 1000;
    results.engineCeilingOneStepRunsPerSec = round(n / secs);
    console.log(
      `engine ceiling (minimal protocol responder, not the SDK): ${n} 1-step runs in ${round(secs, 2)} s = ${round(n / secs)} runs/s`,
    );
    raw.proc.kill("SIGKILL");
  }

  if (SLEEPERS > 0) {
    const t0 = performance.now();
    for (let i = 0; i < SLEEPERS; i += 500) {
      await send(Array.from({ length: Math.min(500, SLEEPERS - i) }, () => ({ name: "bench/sleep", data: {} })));
    }
    for (;;) {
      const h = await (await fetch(`${engineUrl}/health`)).json();
      const sleeping = h.queue.total - h.queue.ready - h.queue.inFlight;
      if (sleeping >= SLEEPERS && h.queue.inFlight === 0) break;
      await sleep(500);
    }
    const secs = (performance.now() - t0) / 1000;
    if (global.gc) global.gc();
    await sleep(2000);
    const mem = procMemory(engineProc.pid as number);
    results.sleepers = { runs: SLEEPERS, secondsToSleep: round(secs, 1), engineRssMb: mem.rssMb, enginePeakRssMb: mem.peakMb };
    console.log(`${SLEEPERS} sleeping runs held: engine RSS ${mem.rssMb} MB (peak ${mem.peakMb} MB), all asleep after ${round(secs, 1)} s`);
  }
  mkdirSync("bench/results", { recursive: true });
  const file = `bench/results/engine-${results.date as string}.json`.replace(/:/g, "-");
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(JSON.stringify(results, null, 2));
  console.log(`written to ${file}`);
  stopAll();
  const c = new pg.Client({ connectionString: DB });
  await c.connect();
  await c.query(`DROP SCHEMA "${schema}" CASCADE`);
  await c.end();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
