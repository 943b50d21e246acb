/**
 * The durable-execution engines the peer benchmark compares Jobdeck with, each set up as its docs recommend: Restate
 * (its server from npm driving a Node service of `ctx.run` steps) and DBOS Transact (a queue worker running workflows
 * of `DBOS.runStep` steps from PostgreSQL). Same interface as the queues in systems.ts.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DBOSClient } from "@dbos-inc/dbos-sdk";
import {
  type BenchConfig,
  dropSchema,
  forkWorker,
  type Kind,
  peerSystem,
  postgresUnavailable,
  type SystemDefinition,
  schemaName,
  type Worker,
} from "./systems.js";
import type { BenchJob } from "./workers/recorder.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Two free-looking ports for a child's listeners (random in a range no other bench system uses). */
const randomPort = () => 21000 + Math.floor(Math.random() * 20000);

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} did not come up in ${timeoutMs / 1000} s`);
}

/** The restate-server binary the npm package installed for this platform, or null. */
function restateBinary(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve(`@restatedev/restate-server-${process.platform}-${process.arch}/package.json`);
    const binary = join(pkg, "..", "bin", "restate-server");
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

/**
 * Restate's server looks up its newest release on GitHub at start whatever its telemetry setting (seen with strace:
 * DNS queries for the release API). The benchmark must not leave the machine, so the server runs in a private mount
 * namespace whose /etc/resolv.conf names no reachable resolver: the lookup fails at once, locally. That needs
 * `unshare -m` (root, or a user namespace); without it Restate is skipped.
 */
function offlineLauncher(dir: string): string[] | null {
  const probe = spawnSync("unshare", ["-m", "sh", "-c", "mount --bind /etc/resolv.conf /etc/resolv.conf"]);
  if (probe.status !== 0) return null;
  const resolv = join(dir, "resolv.conf");
  writeFileSync(resolv, "nameserver 127.0.0.1\n");
  return ["unshare", "-m", "sh", "-c", `mount --bind '${resolv}' /etc/resolv.conf && exec "$0" "$@"`];
}

/** Restate: its server (the npm package's binary) invoking a Node service over HTTP/2; jobs are one-way sends to the
 * ingress's HTTP API. */
export function restate(): SystemDefinition {
  return {
    name: "Restate",
    databaseProcess: null,
    async unavailable() {
      if (!restateBinary())
        return `no restate-server binary for ${process.platform}-${process.arch} (npm package @restatedev/restate-server)`;
      const dir = mkdtempSync(join(tmpdir(), "restate-probe-"));
      const launcher = offlineLauncher(dir);
      rmSync(dir, { recursive: true, force: true });
      return launcher ? null : "cannot keep its start-up release check on this machine (needs `unshare -m`, i.e. root)";
    },
    async start() {
      const dir = mkdtempSync(join(tmpdir(), "restate-bench-"));
      const [ingressPort, adminPort, fabricPort, servicePort] = [randomPort(), randomPort(), randomPort(), randomPort()];
      const [launcher, ...launcherArgs] = offlineLauncher(dir) as string[];
      const server = spawn(launcher as string, [...launcherArgs, restateBinary() as string, "--no-logo"], {
        cwd: dir,
        env: {
          ...process.env,
          RESTATE_BASE_DIR: join(dir, "data"),
          RESTATE_DISABLE_TELEMETRY: "true",
          RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingressPort}`,
          RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${adminPort}`,
          RESTATE_BIND_ADDRESS: `127.0.0.1:${fabricPort}`,
          // The failed release lookup (the GitHub client, octocrab) is expected here: not worth an error line.
          RESTATE_LOG_FILTER: "error,octocrab=off",
        },
        stdio: ["ignore", "ignore", "inherit"],
      });
      // The server outlives a benchmark that fails or exits without stopping it unless it is killed on the way out.
      const killServer = () => server.kill("SIGKILL");
      process.once("exit", killServer);
      const admin = `http://127.0.0.1:${adminPort}`;
      let worker: Worker;
      try {
        await waitFor("restate-server", async () => (await fetch(`${admin}/health`)).ok);
        worker = await forkWorker("bench/peers/workers/restate.ts", { BENCH_SERVICE_PORT: String(servicePort) });
        const registered = await fetch(`${admin}/deployments`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ uri: `http://127.0.0.1:${servicePort}` }),
        });
        if (!registered.ok) throw new Error(`registering the Restate service failed: ${registered.status} ${await registered.text()}`);
      } catch (err) {
        killServer();
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      // A one-way send through the ingress's HTTP API (`/<service>/<handler>/send`), as Restate's docs invoke a handler
      // without waiting for its result; the answer carries the invocation id once the server has logged it.
      const sendOne = async (kind: Kind, job: BenchJob) => {
        const res = await fetch(`http://127.0.0.1:${ingressPort}/bench/${kind}/send`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(job),
        });
        if (!res.ok) throw new Error(`Restate ingress answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      };
      const system = peerSystem(worker, {
        enqueueMany: async (kind, jobs) => void (await Promise.all(jobs.map((job) => sendOne(kind, job)))),
        enqueueOne: sendOne,
        close: async () => {},
      });
      return {
        ...system,
        pids: () => [server.pid as number, worker.proc.pid as number],
        roles: () => ({ server: server.pid as number, service: worker.proc.pid as number }),
        async stop() {
          await system.stop();
          killServer();
          await new Promise((resolve) => (server.exitCode !== null ? resolve(null) : server.once("exit", resolve)));
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

/** DBOS Transact: a queue worker process (DBOS.launch with two registered queues, default polling) executing
 * workflows of `DBOS.runStep` steps; jobs are enqueued with DBOS's client, one row per workflow. */
export function dbos(config: BenchConfig): SystemDefinition {
  return {
    name: "DBOS",
    databaseProcess: "postgres",
    unavailable: () => postgresUnavailable(config.databaseUrl),
    async start() {
      const schema = schemaName("dbos");
      await dropSchema(config.databaseUrl, schema);
      const worker = await forkWorker("bench/peers/workers/dbos.ts", { BENCH_DATABASE_URL: config.databaseUrl, BENCH_SCHEMA: schema });
      const client = await DBOSClient.create({ systemDatabaseUrl: config.databaseUrl, systemDatabaseSchemaName: schema });
      const enqueueOne = async (kind: Kind, job: BenchJob) => void (await client.enqueue({ queueName: kind, workflowName: kind }, job));
      return peerSystem(
        worker,
        {
          enqueueMany: async (kind, jobs) => void (await Promise.all(jobs.map((job) => enqueueOne(kind, job)))),
          enqueueOne,
          close: () => client.destroy(),
        },
        () => dropSchema(config.databaseUrl, schema),
      );
    },
  };
}
