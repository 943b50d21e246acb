/**
 * The children the launcher supervises: the embedded PostgreSQL server, Next.js, and under `npm start` the functions
 * worker that serves the Inngest functions to the embedded engine. Each is a ChildSpec
 * (scripts/launcher/supervisor.ts): how to start it in a process group of its own, when it serves, how to tell that
 * it stopped serving.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import type { ChildSpec } from "./supervisor.js";

const EXIT_WITH_PARENT = fileURLToPath(new URL("./exit-with-parent.cjs", import.meta.url));
const DATABASE_CHILD = fileURLToPath(new URL("./embedded-postgres-child.ts", import.meta.url));
const FUNCTIONS_WORKER = fileURLToPath(new URL("./functions-worker.ts", import.meta.url));

/** NODE_OPTIONS that load the orphan watchdog first, keeping whatever the user set. */
export function withExitWithParent(nodeOptions: string | undefined): string {
  const quoted = /\s/.test(EXIT_WITH_PARENT) ? JSON.stringify(EXIT_WITH_PARENT) : EXIT_WITH_PARENT;
  return [`--require ${quoted}`, nodeOptions].filter(Boolean).join(" ");
}

/**
 * The embedded PostgreSQL server. Its port is chosen on the first start and kept for restarts, so the engine's and
 * the app's connection strings stay right and they reconnect on their own.
 */
export function databaseChild(dataDir: string, onReady: (url: string) => void): ChildSpec {
  let port = 0;
  return {
    name: "database",
    startTimeoutMs: 60_000,
    stopGraceMs: 2_000,
    spawn: () =>
      spawn(process.execPath, ["--import", "tsx", DATABASE_CHILD, JSON.stringify({ dataDir, port })], {
        detached: true,
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      }),
    ready: (child: ChildProcess) =>
      new Promise<void>((resolve) => {
        child.on("message", (msg: { ready?: boolean; port?: number; url?: string }) => {
          if (!msg?.ready || !msg.url || !msg.port) return;
          port = msg.port;
          onReady(msg.url);
          resolve();
        });
      }),
  };
}

/** Whether anything accepts connections on host:port. Only a refusal counts as "no": a busy server is alive. */
function accepts(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(true));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function answers(url: string, anyStatus: boolean): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await res.body?.cancel();
    return anyStatus || res.status < 500;
  } catch {
    return false;
  }
}

export interface NextChildOptions {
  prod: boolean;
  host: string;
  port: number;
  env: NodeJS.ProcessEnv;
  /** Extra node flags (a CPU profile for bench:stack). */
  nodeArgs: string[];
}

/**
 * Next.js (`next start`, or `next dev`). `next dev` serves from a second process and keeps idling when that one is
 * killed (its worker's exit by signal is ignored: node_modules/next/dist/cli/next-dev.js), so the supervisor also
 * probes the port: refused connections in a row mean nobody serves. Dev gets more probes before that verdict
 * because `next dev` restarts its own server after a config change, closing the port for a few seconds.
 */
export function nextChild(o: NextChildOptions): ChildSpec {
  const nextBin = fileURLToPath(new URL("../../node_modules/next/dist/bin/next", import.meta.url));
  const origin = `http://${o.host}:${o.port}`;
  return {
    name: "next",
    startTimeoutMs: o.prod ? 90_000 : 180_000,
    stopGraceMs: 4_000,
    deadAfterProbes: o.prod ? 3 : 10,
    spawn: () =>
      spawn(process.execPath, [...o.nodeArgs, nextBin, o.prod ? "start" : "dev", "-p", String(o.port), "-H", o.host], {
        detached: true,
        stdio: "inherit",
        env: { ...o.env, NODE_OPTIONS: withExitWithParent(o.env.NODE_OPTIONS) },
      }),
    // Dev: /api/inngest, so that route is compiled before the engine syncs it. Production: any answer from health;
    // an unsigned GET of /api/inngest there is refused and logged by the SDK as a signature failure at every start.
    ready: async (child: ChildProcess) => {
      const url = o.prod ? `${origin}/api/health` : `${origin}/api/inngest`;
      while (child.exitCode === null && child.signalCode === null) {
        if (await answers(url, o.prod)) return;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error("exited before it served");
    },
    alive: () => accepts(o.host, o.port),
  };
}

export interface FunctionsChildOptions {
  /** A fixed port (FUNCTIONS_PORT), or 0: the worker's first start picks one, kept across restarts. */
  port: number;
  env: NodeJS.ProcessEnv;
  nodeArgs: string[];
  /** The worker's URL once it first serves (the engine keeps it as the app's address, so restarts reuse the port). */
  onReady(url: string): void;
}

/**
 * The functions worker (scripts/launcher/functions-worker.ts): the app's Inngest functions on a plain Node server
 * on 127.0.0.1, so the embedded engine's step requests skip Next.js. Ready when it has printed its URL. Like the
 * database, its port is chosen on the first start and kept for restarts.
 */
export function functionsChild(o: FunctionsChildOptions): ChildSpec {
  let port = o.port;
  return {
    name: "functions",
    startTimeoutMs: 60_000,
    stopGraceMs: 3_000,
    spawn: () =>
      spawn(process.execPath, [...o.nodeArgs, "--conditions=react-server", "--import", "tsx", FUNCTIONS_WORKER], {
        detached: true,
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...o.env, FUNCTIONS_PORT: String(port), NODE_OPTIONS: withExitWithParent(o.env.NODE_OPTIONS) },
      }),
    ready: (child: ChildProcess) =>
      new Promise<void>((resolve, reject) => {
        let out = "";
        child.stdout?.on("data", (d) => {
          // Everything it prints after READY goes to the launcher's output, as Next.js's does.
          if (out.includes("READY ")) return void process.stdout.write(d);
          out += String(d);
          const url = /READY (\S+)/.exec(out)?.[1];
          if (!url) return;
          port = Number(new URL(url).port);
          o.onReady(url);
          resolve();
        });
        child.once("exit", () => reject(new Error("exited before it served")));
      }),
    alive: () => accepts("127.0.0.1", port),
  };
}
