import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processAlive, sleep, until } from "@jobdeck/test-kit";
import { afterAll, describe, expect, it } from "vitest";
import { type LaunchedStack, launchFreshMachineStack } from "../support/launch-stack.js";

/**
 * `npm start` as a supervisor: kill -9 of the Next.js server, of the functions worker (which runs the jobs' steps) and
 * of the embedded database server during a burst of jobs. Each comes back on its own (restarted with backoff, shown in /api/health), every job the API acknowledged
 * completes and none FAILED; then a double Ctrl-C leaves no process and no port behind.
 */
interface ProcessStatus {
  name: string;
  pid: number | null;
  state: string;
  restarts: number;
  lastExit: { reason: string } | null;
}

const alive = processAlive;

/** Whether a port can be listened on again (nothing kept it). */
const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });

describe("npm start supervises its children", () => {
  let stack: LaunchedStack | undefined;
  afterAll(async () => stack?.kill());

  it("restarts a killed Next.js, functions worker and database during a burst; nothing acknowledged is lost or FAILED", async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), "jobdeck-supervised-")), "pglite");
    stack = await launchFreshMachineStack(dataDir);
    const base = stack.baseUrl;
    const health = async () =>
      (await (await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(5_000) })).json()) as {
        status: string;
        processes: ProcessStatus[];
      };
    const processes = async () => Object.fromEntries((await health()).processes.map((p) => [p.name, p]));
    const first = await processes();
    const nextPid = first.next?.pid as number;
    const databasePid = first.database?.pid as number;
    const functionsPid = first.functions?.pid as number;
    expect(functionsPid).toBeGreaterThan(0);
    expect(nextPid).toBeGreaterThan(0);
    expect(databasePid).toBeGreaterThan(0);

    // A burst: 8 producers creating short jobs for 25 s; only a 202 is an acknowledged job.
    const acknowledged: string[] = [];
    let refused = 0;
    let producing = true;
    const producer = async () => {
      while (producing) {
        try {
          const res = await fetch(`${base}/api/jobs`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ type: "demo-task", payload: { delayMs: 200 } }),
            signal: AbortSignal.timeout(10_000),
          });
          if (res.status === 202) acknowledged.push(((await res.json()) as { id: string }).id);
          else {
            refused++;
            await res.body?.cancel();
          }
        } catch {
          refused++; // the app is down: the producer sees it fail, nothing was acknowledged
        }
        await sleep(150);
      }
    };
    const producers = Array.from({ length: 8 }, producer);
    // Each kill lands in the middle of the burst: after some jobs were acknowledged, and more are acknowledged after it.
    const acknowledgedAtLeast = (n: number) => until(`${n} jobs acknowledged`, () => acknowledged.length >= n, 60_000, 50);
    await acknowledgedAtLeast(15);
    process.kill(nextPid, "SIGKILL");
    await until("Next.js restarted", async () => (await processes()).next?.state === "running", 60_000, 500);
    await acknowledgedAtLeast(acknowledged.length + 10);
    // Mid-step: the engine holds the app's runs while its port refuses, and resumes them on the same port.
    process.kill(functionsPid, "SIGKILL");
    await until("the functions worker restarted", async () => (await processes()).functions?.state === "running", 60_000, 500);
    await acknowledgedAtLeast(acknowledged.length + 10);
    process.kill(databasePid, "SIGKILL");
    await until("the database restarted", async () => (await processes()).database?.state === "running", 60_000, 500);
    await acknowledgedAtLeast(acknowledged.length + 10);
    producing = false;
    await Promise.all(producers);

    const after = await processes();
    expect(after.next?.restarts).toBe(1);
    expect(after.next?.lastExit?.reason).toBe("killed by SIGKILL");
    expect(after.functions?.restarts).toBe(1);
    expect(after.functions?.lastExit?.reason).toBe("killed by SIGKILL");
    expect(after.database?.restarts).toBe(1);
    expect(after.database?.lastExit?.reason).toBe("killed by SIGKILL");
    expect(alive(nextPid) || alive(databasePid) || alive(functionsPid)).toBe(false);
    expect(acknowledged.length).toBeGreaterThan(20);

    // Every acknowledged job completes; none FAILED.
    const statuses = async () => {
      const out: Record<string, number> = {};
      for (const id of acknowledged) {
        const job = (await (await fetch(`${base}/api/jobs/${id}/status`)).json()) as { status: string };
        out[job.status] = (out[job.status] ?? 0) + 1;
      }
      return out;
    };
    const final = await until(
      `all ${acknowledged.length} acknowledged jobs COMPLETED`,
      async () => {
        const s = await statuses();
        return s.COMPLETED === acknowledged.length || s.FAILED ? s : undefined;
      },
      240_000,
      1_000,
    );
    console.log(`${acknowledged.length} jobs acknowledged, ${refused} creates refused while a process was down:`, final);
    expect(final).toEqual({ COMPLETED: acknowledged.length });

    // The engine's probes of the restarting app are signed: the SDK has logged no signature failure.
    expect(stack.output()).not.toMatch(/Signature validation failed/);

    // A double Ctrl-C: everything is gone at once, every port free.
    const launcher = stack.process;
    const pids = [launcher.pid as number, ...(await health()).processes.map((p) => p.pid as number)];
    const functionsPort = Number(/functions {2}http:\/\/127\.0\.0\.1:(\d+)/.exec(stack.output())?.[1]);
    expect(functionsPort).toBeGreaterThan(0);
    const ports = [Number(new URL(base).port), Number(new URL(stack.engineUrl).port), functionsPort];
    const exited = new Promise<number | null>((resolve) => launcher.once("exit", (code) => resolve(code)));
    launcher.kill("SIGINT");
    await until("the launcher stopping", () => stack?.output().includes("stopping"), 5_000, 5);
    launcher.kill("SIGINT");
    // 130 when the second Ctrl-C forced it; 0 if the orderly stop had already finished. Either way nothing is left.
    expect([0, 130]).toContain(await exited);
    await until("every process gone", () => pids.every((pid) => !alive(pid)), 5_000, 100);
    for (const port of ports) expect(await portFree(port), `port ${port}`).toBe(true);
    stack = undefined;
  }, 600_000);

  it("one Ctrl-C stops every child in order and frees every port", async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), "jobdeck-supervised-")), "pglite");
    const s = await launchFreshMachineStack(dataDir);
    stack = s;
    const processes = ((await (await fetch(`${s.baseUrl}/api/health`)).json()) as { processes: ProcessStatus[] }).processes;
    expect(processes.map((p) => p.name).sort()).toEqual(["database", "functions", "next"]);
    const functionsPort = Number(/functions {2}http:\/\/127\.0\.0\.1:(\d+)/.exec(s.output())?.[1]);
    const exited = new Promise<number | null>((resolve) => s.process.once("exit", (code) => resolve(code)));
    s.process.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(processes.map((p) => p.pid as number).filter(alive)).toEqual([]);
    for (const port of [Number(new URL(s.baseUrl).port), Number(new URL(s.engineUrl).port), functionsPort])
      expect(await portFree(port), `port ${port}`).toBe(true);
    expect(s.output()).not.toMatch(/Signature validation failed/);
    stack = undefined;
  }, 300_000);
});
