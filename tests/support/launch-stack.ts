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

/** `npm start` (scripts/dev.ts --prod) as a user runs it, on free ports, with `env` on top of this process's. */
export async function launchStack(env: Record<string, string>, remove: string[] = [], nodeArgs: string[] = []): Promise<LaunchedStack> {
  const [port, enginePort] = [await freePort(), await freePort()];
  const full: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    ENGINE_PORT: String(enginePort),
    ENGINE_RETRY_INTERVAL: "100ms",
    LOG_LEVEL: "warn",
    ...env,
  };
  for (const k of ["DATABASE_URL", "INNGEST_DEV", "INNGEST_BASE_URL", "NODE_ENV", ...remove]) if (!(k in env)) delete full[k];
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "scripts/dev.ts", "--prod"], {
    env: full,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack did not start:\n${output}`)), 180_000);
    child.stdout?.on("data", (d: Buffer) => {
      output += String(d);
      if (output.includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += String(d);
    });
    child.on("exit", (code) => reject(new Error(`stack exited ${code}:\n${output}`)));
  });
  return {
    baseUrl: `http://localhost:${port}`,
    engineUrl: `http://127.0.0.1:${enginePort}`,
    process: child,
    output: () => output,
    kill: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
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
