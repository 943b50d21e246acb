import { type ChildProcess, spawn } from "node:child_process";

/**
 * The app's Inngest functions (tests/support/app-process.ts: the real SDK serve()) in a process of their own on
 * `port`, so a test can SIGKILL the app mid-step and start it again. Resolves once it listens.
 */
export async function startAppChild(port: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "tests/support/app-process.ts"], {
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => String(d).includes("listening") && resolve());
    child.on("exit", (code) => reject(new Error(`app process exited ${code}`)));
  });
  return child;
}

/** SIGKILL, and wait until it is gone. */
export async function killNow(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await gone;
}
