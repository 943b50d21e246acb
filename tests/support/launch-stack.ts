import { type ChildProcess, spawn } from "node:child_process";
import { freePort } from "@jobdeck/test-kit";
import { ensureNextBuild } from "./next-build.js";

export interface LaunchedStack {
  baseUrl: string;
  engineUrl: string;
  process: ChildProcess;
  output(): string;
  /** Ctrl-C-like stop (the launcher stops Next.js, the engine and the database), SIGKILL if it hangs. */
  kill(): Promise<void>;
}

/** How a launcher is started: `npm start` (default) or `npm run dev`, on given or free ports. */
export interface LaunchOptions {
  dev?: boolean;
  port?: number;
  enginePort?: number;
  /** In a process group of its own, so one signal to `-pid` reaches the launcher and everything it started. */
  detached?: boolean;
  nodeArgs?: string[];
  /** How long to wait for "ready" (next dev compiles on a busy machine). */
  readyTimeoutMs?: number;
}

/**
 * `npm start` (scripts/dev.ts --prod), or `npm run dev` with `dev`, as a user runs it, with `env` on top of this
 * process's minus `remove` (and anything that would point it elsewhere); resolves once it printed "ready".
 */
export async function launchStack(
  env: Record<string, string>,
  remove: string[] = [],
  nodeArgs: string[] = [],
  opts: LaunchOptions = {},
): Promise<LaunchedStack> {
  const port = opts.port ?? (await freePort());
  const enginePort = opts.enginePort ?? (await freePort());
  const full: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    ENGINE_PORT: String(enginePort),
    ENGINE_RETRY_INTERVAL: "100ms",
    LOG_LEVEL: "warn",
    ...env,
  };
  for (const k of ["DATABASE_URL", "INNGEST_DEV", "INNGEST_BASE_URL", "NODE_ENV", ...remove]) if (!(k in env)) delete full[k];
  const args = [...nodeArgs, ...(opts.nodeArgs ?? []), "--import", "tsx", "scripts/dev.ts", ...(opts.dev ? [] : ["--prod"])];
  const child = spawn(process.execPath, args, { env: full, stdio: ["ignore", "pipe", "pipe"], detached: opts.detached ?? false });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timeoutMs = opts.readyTimeoutMs ?? (opts.dev ? 240_000 : 180_000);
    const timer = setTimeout(() => reject(new Error(`stack did not start:\n${output}`)), timeoutMs);
    const read = (d: Buffer) => {
      output += String(d);
      if (output.includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.on("exit", (code) => reject(new Error(`stack exited ${code}:\n${output}`)));
  });
  return {
    baseUrl: `http://localhost:${port}`,
    engineUrl: `http://127.0.0.1:${enginePort}`,
    process: child,
    output: () => output,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * `npm run dev` on the embedded database in `dataDir`, building into `distDir` (a fixed name per test file: next dev
 * adds each new dist folder to tsconfig.json), with the development identity.
 */
export function launchDevStack(
  dataDir: string,
  distDir: string,
  opts: LaunchOptions & { env?: Record<string, string> } = {},
): Promise<LaunchedStack> {
  return launchStack({ JOBDECK_DATA_DIR: dataDir, NEXT_DIST_DIR: distDir, ...opts.env }, AUTH_VARIABLES, [], { ...opts, dev: true });
}

/** Variables that would switch a launch to Clerk, another build folder or an explicit dev-auth setting. */
export const AUTH_VARIABLES = ["NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "CLERK_SECRET_KEY", "CLERK_JWT_KEY", "NEXT_DIST_DIR", "ALLOW_DEV_AUTH"];

/**
 * `npm start` exactly as on a fresh machine: the keyless production build in .next (built when stale), the
 * embedded database in `dataDir`, the embedded engine (unless `env` points at another Inngest) and the development
 * identity.
 */
export async function launchFreshMachineStack(dataDir: string, env: Record<string, string> = {}): Promise<LaunchedStack> {
  const buildEnv = { ...process.env };
  delete buildEnv.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY;
  await ensureNextBuild(".next", buildEnv);
  return launchStack({ JOBDECK_DATA_DIR: dataDir, ...env }, AUTH_VARIABLES);
}
