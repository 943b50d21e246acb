import { type ChildProcess, spawn } from "node:child_process";
import { freePort } from "../../engine/test/support/child-engine.js";

export interface LaunchedStack {
  baseUrl: string;
  engineUrl: string;
  process: ChildProcess;
  output(): string;
  /** Ctrl-C-like stop (the launcher stops Next.js, the engine and the database), SIGKILL if it hangs. */
  kill(): Promise<void>;
}

/** `npm start` (scripts/dev.ts --prod) as a user runs it, on free ports, with `env` on top of this process's. */
export async function launchStack(env: Record<string, string>, remove: string[] = []): Promise<LaunchedStack> {
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
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts", "--prod"], { env: full, stdio: ["ignore", "pipe", "pipe"] });
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
