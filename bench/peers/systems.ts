/**
 * The systems the peer benchmark compares, each started the way its docs recommend, behind one small interface:
 * the orchestrator enqueues (in bulk or one at a time, with the system's own client), reads the samples its worker
 * recorded, and reads the CPU and memory of the processes that are the system (worker, or engine + SDK app).
 * The database server's CPU is read separately (all `postgres` processes, or `redis-server`).
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { connect } from "node:net";
import { Queue } from "bullmq";
import { makeWorkerUtils } from "graphile-worker";
import pg from "pg";
import { PgBoss } from "pg-boss";
import { preciseNow, processTree } from "./measure.js";
import type { BenchJob, Samples } from "./workers/recorder.js";

export type Kind = "one" | "five";

export interface RunningSystem {
  /** The processes that are this system (not the database server). */
  pids(): number[];
  enqueueMany(kind: Kind, jobs: BenchJob[]): Promise<void>;
  enqueueOne(kind: Kind, job: BenchJob): Promise<void>;
  samples(): Promise<Samples>;
  reset(): Promise<void>;
  /** Stops starting one-step jobs, which then wait in the system's queue (true), or starts again (false); resolves
   * to whether the system can (Restate and DBOS run what they are sent). */
  hold(held: boolean): Promise<boolean>;
  stop(): Promise<void>;
  /** Which process is which, where a system has more than one. */
  roles?(): Record<string, number>;
}

export interface SystemDefinition {
  name: string;
  /** The command name of its database server's processes, whose CPU is reported next to the system's own; null
   * when the system keeps its state in its own processes (Restate's server embeds its log and RocksDB). */
  databaseProcess: "postgres" | "redis-server" | null;
  /** Why it cannot run here (its service is absent), or null. */
  unavailable(): Promise<string | null>;
  start(): Promise<RunningSystem>;
}

export interface BenchConfig {
  databaseUrl: string;
  redisUrl: string;
  maxInFlight: number;
  /** Jobdeck only: write CPU profiles of the engine and the SDK app here (they are then stopped with SIGINT). */
  profileDir?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const newJob = (): BenchJob => ({ sentAt: preciseNow(), step: 1 });

/** Enqueues `count` new jobs in batches of 200 from `producers` concurrent producers, each sending one batch at a time. */
export async function enqueueInBatches(
  system: Pick<RunningSystem, "enqueueMany">,
  kind: Kind,
  count: number,
  producers = 1,
): Promise<void> {
  let enqueued = 0;
  const producer = async () => {
    while (enqueued < count) {
      const size = Math.min(200, count - enqueued);
      enqueued += size;
      await system.enqueueMany(
        kind,
        Array.from({ length: size }, () => newJob()),
      );
    }
  };
  await Promise.all(Array.from({ length: producers }, producer));
}

export async function postgresUnavailable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (err) {
    return `PostgreSQL at ${new URL(url).host} is not reachable (${(err as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
}

function redisUnavailable(url: string): Promise<string | null> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379), timeout: 2000 });
    const fail = (why: string) => {
      socket.destroy();
      resolve(`Redis at ${hostname}:${port || 6379} is not reachable (${why})`);
    };
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => {
      socket.destroy();
      resolve(String(data).startsWith("+PONG") ? null : `Redis at ${hostname} answered ${String(data).trim()}`);
    });
    socket.once("timeout", () => fail("timed out"));
    socket.once("error", (err) => fail(err.message));
  });
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

/** A peer's worker in a child process, answering `samples`/`reset` over IPC. */
export async function forkWorker(
  script: string,
  env: Record<string, string>,
): Promise<{ proc: ChildProcess; ask<T>(type: string): Promise<T> }> {
  const proc = fork(script, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let nextId = 1;
  const waiting = new Map<number, (value: unknown) => void>();
  const ready = new Promise<void>((resolve, reject) => {
    proc.on("message", (m: { type?: string; id?: number; samples?: Samples }) => {
      if (m.type === "ready") resolve();
      if (m.id !== undefined) {
        waiting.get(m.id)?.(m.samples);
        waiting.delete(m.id);
      }
    });
    proc.once("exit", (code) => reject(new Error(`${script} exited ${code} before it was ready`)));
  });
  await ready;
  return {
    proc,
    ask<T>(type: string) {
      const id = nextId++;
      return new Promise<T>((resolve) => {
        waiting.set(id, resolve as (value: unknown) => void);
        proc.send({ type, id });
      });
    },
  };
}

export const schemaName = (system: string) => `bench_${system}_${process.pid}`;

export type Worker = Awaited<ReturnType<typeof forkWorker>>;
type Producer = Pick<RunningSystem, "enqueueMany" | "enqueueOne"> & { close(): Promise<void> };

/** A peer as the orchestrator drives it: its client enqueues, its worker child records; stop closes both, then cleans up. */
export function peerSystem(worker: Worker, producer: Producer, cleanup: () => Promise<void> = async () => {}): RunningSystem {
  return {
    pids: () => [worker.proc.pid as number],
    enqueueMany: producer.enqueueMany,
    enqueueOne: producer.enqueueOne,
    samples: () => worker.ask<Samples>("samples"),
    reset: () => worker.ask("reset"),
    hold: (held) => worker.ask<boolean>(held ? "hold" : "release"),
    async stop() {
      await producer.close();
      worker.proc.kill("SIGKILL");
      await cleanup();
    },
  };
}

export function pgBoss(config: BenchConfig): SystemDefinition {
  return {
    name: "pg-boss",
    databaseProcess: "postgres",
    unavailable: () => postgresUnavailable(config.databaseUrl),
    async start() {
      const schema = schemaName("pgboss");
      await dropSchema(config.databaseUrl, schema);
      const worker = await forkWorker("bench/peers/workers/pg-boss.ts", { BENCH_DATABASE_URL: config.databaseUrl, BENCH_SCHEMA: schema });
      const boss = new PgBoss({ connectionString: config.databaseUrl, schema, supervise: false, schedule: false, migrate: false });
      boss.on("error", (err) => console.error("pg-boss producer:", err));
      await boss.start();
      return peerSystem(
        worker,
        {
          enqueueMany: async (kind, jobs) =>
            void (await boss.insert(
              kind,
              jobs.map((data) => ({ data })),
            )),
          enqueueOne: async (kind, job) => void (await boss.send(kind, job)),
          close: () => boss.stop({ graceful: false }),
        },
        () => dropSchema(config.databaseUrl, schema),
      );
    },
  };
}

export function graphileWorker(config: BenchConfig): SystemDefinition {
  return {
    name: "graphile-worker",
    databaseProcess: "postgres",
    unavailable: () => postgresUnavailable(config.databaseUrl),
    async start() {
      const schema = schemaName("graphile");
      await dropSchema(config.databaseUrl, schema);
      const worker = await forkWorker("bench/peers/workers/graphile-worker.ts", {
        BENCH_DATABASE_URL: config.databaseUrl,
        BENCH_SCHEMA: schema,
      });
      const utils = await makeWorkerUtils({ connectionString: config.databaseUrl, schema });
      return peerSystem(
        worker,
        {
          enqueueMany: async (kind, jobs) =>
            void (await utils.addJobs(jobs.map((payload) => ({ identifier: kind, payload, maxAttempts: 1 })))),
          enqueueOne: async (kind, job) => void (await utils.addJob(kind, job, { maxAttempts: 1 })),
          close: async () => {
            await utils.release();
          },
        },
        () => dropSchema(config.databaseUrl, schema),
      );
    },
  };
}

export function bullmq(config: BenchConfig): SystemDefinition {
  return {
    name: "BullMQ",
    databaseProcess: "redis-server",
    unavailable: () => redisUnavailable(config.redisUrl),
    async start() {
      const prefix = schemaName("bullmq");
      const worker = await forkWorker("bench/peers/workers/bullmq.ts", { BENCH_REDIS_URL: config.redisUrl, BENCH_SCHEMA: prefix });
      const url = new URL(config.redisUrl);
      const connection = { host: url.hostname, port: Number(url.port || 6379) };
      const defaultJobOptions = { removeOnComplete: { count: 1000 }, removeOnFail: { count: 1000 }, attempts: 1 };
      const queues = {
        one: new Queue<BenchJob>("one", { connection, prefix, defaultJobOptions }),
        five: new Queue<BenchJob>("five", { connection, prefix, defaultJobOptions }),
      };
      return peerSystem(worker, {
        enqueueMany: async (kind, jobs) => void (await queues[kind].addBulk(jobs.map((data) => ({ name: kind, data })))),
        enqueueOne: async (kind, job) => void (await queues[kind].add(kind, job)),
        async close() {
          for (const queue of Object.values(queues)) {
            await queue.obliterate({ force: true });
            await queue.close();
          }
        },
      });
    },
  };
}

/** Jobdeck: the engine (its CLI, a child process) driving an Inngest SDK app (`serve()`, a child process) over the
 * Inngest protocol; jobs are events sent to the engine's event API, as `inngest.send` does. */
export function jobdeck(config: BenchConfig, variant?: { name: string; appEnv: Record<string, string> }): SystemDefinition {
  return {
    name: variant?.name ?? "Jobdeck",
    databaseProcess: "postgres",
    unavailable: () => postgresUnavailable(config.databaseUrl),
    async start() {
      // One schema per variant: two engines on one schema would be leader and standby.
      const schema = schemaName(variant ? `jobdeck_${variant.name.replace(/\W/g, "_").toLowerCase()}` : "jobdeck");
      const enginePort = 19288 + Math.floor(Math.random() * 1000);
      const engineUrl = `http://127.0.0.1:${enginePort}`;
      const profiling = config.profileDir ? ["--cpu-prof", "--cpu-prof-dir", config.profileDir] : [];
      const app = spawn(
        process.execPath,
        [...profiling, "--import", "tsx", "bench/peers/jobdeck-app.ts", ...(process.env.BENCH_VANILLA_SDK ? ["--vanilla"] : [])],
        {
          env: { ...process.env, ...variant?.appEnv, BENCH_ENGINE_URL: engineUrl },
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      const [appUrl, statsUrl] = await new Promise<[string, string | undefined]>((resolve, reject) => {
        let out = "";
        app.stdout?.on("data", (d) => {
          out += String(d);
          const m = /READY (\S+)(?: STATS (\S+))?\n/.exec(out);
          if (m) resolve([m[1] as string, m[2]]);
        });
        app.once("exit", (code) => reject(new Error(`SDK app exited ${code}`)));
      });
      const stats = statsUrl ?? `${appUrl.replace("/api/inngest", "")}/stats`;
      const engine = spawn(
        process.execPath,
        [
          ...profiling,
          "--import",
          "tsx",
          "engine/src/cli.ts",
          ...["--database-url", config.databaseUrl, "--schema", schema, "--port", String(enginePort)],
          ...["--poll-interval", "0", "--max-in-flight", String(config.maxInFlight), "-u", appUrl],
        ],
        { env: { ...process.env, ENGINE_LOG_LEVEL: "warn" }, stdio: ["ignore", "inherit", "inherit"] },
      );
      for (let tries = 0; ; tries++) {
        try {
          const health = await (await fetch(`${engineUrl}/health`)).json();
          const functions = await (await fetch(`${engineUrl}/v1/functions`)).json();
          if (health.role === "active" && functions.data.length === 3) break;
        } catch {
          if (tries > 300) throw new Error("the engine did not come up in 30 s");
        }
        await sleep(100);
      }
      const send = async (events: { name: string; data: BenchJob }[]) => {
        const res = await fetch(`${engineUrl}/e/bench`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(events),
        });
        if (res.status !== 200) throw new Error(`event send failed: ${res.status} ${await res.text()}`);
      };
      const eventName = (kind: Kind) => (kind === "one" ? "bench/one" : "bench/five");
      return {
        // The app may be several processes (bench/peers/jobdeck-app.ts): its whole process tree.
        pids: () => [engine.pid as number, ...processTree(app.pid as number)],
        roles: () => ({ engine: engine.pid as number, app: app.pid as number }),
        enqueueMany: (kind, jobs) => send(jobs.map((data) => ({ name: eventName(kind), data }))),
        enqueueOne: (kind, job) => send([{ name: eventName(kind), data: job }]),
        async samples() {
          const s = (await (await fetch(stats)).json()) as {
            firstRequest: number[];
            transitions: number[];
            completed: number;
          };
          return { completed: s.completed, enqueueToStart: s.firstRequest, stepToStep: s.transitions };
        },
        reset: async () => void (await fetch(stats, { method: "DELETE" })),
        // A paused function still gets its runs, which wait until it resumes (engine/README).
        async hold(held) {
          const res = await fetch(`${engineUrl}/v1/functions/bench-one-step/${held ? "pause" : "resume"}`, { method: "POST" });
          if (res.status !== 200) throw new Error(`${held ? "pause" : "resume"} failed: ${res.status} ${await res.text()}`);
          return true;
        },
        async stop() {
          const exited = (proc: ChildProcess) =>
            new Promise((resolve) => (proc.exitCode !== null ? resolve(null) : proc.once("exit", resolve)));
          // A profiled process writes its profile as it exits, so it gets to exit.
          const signal = config.profileDir ? "SIGINT" : "SIGKILL";
          engine.kill(signal);
          app.kill(signal);
          await Promise.all([exited(engine), exited(app)]);
          await dropSchema(config.databaseUrl, schema);
        },
      };
    },
  };
}
