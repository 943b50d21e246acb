import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { EngineOptions } from "../../src/options.js";

const here = dirname(fileURLToPath(import.meta.url));

export interface ChildEngine {
  url: string;
  proc: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the engine in a child process (through tsx) and waits until it is active. */
export async function startChildEngine(options: Partial<EngineOptions> & { databaseUrl: string; port: number }): Promise<ChildEngine> {
  const proc = spawn(process.execPath, ["--import", "tsx", join(here, "engine-process.ts")], {
    env: { ...process.env, ENGINE_TEST_OPTIONS: JSON.stringify(options) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`child engine did not start: ${out}`)), 30_000);
    proc.stdout?.on("data", (d) => {
      out += String(d);
      const m = /READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    proc.on("exit", (code) => reject(new Error(`child engine exited with ${code}: ${out}`)));
  });
  return {
    url,
    proc,
    kill: (signal: NodeJS.Signals = "SIGKILL") =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill(signal);
      }),
  };
}
