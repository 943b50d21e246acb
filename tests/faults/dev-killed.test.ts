import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, until } from "@jobdeck/test-kit";
import { afterAll, describe, expect, it } from "vitest";
import { type LaunchedStack, launchDevStack } from "../support/launch-stack.js";

/**
 * kill -9 of the whole `npm run dev` (launcher, embedded database, engine and Next.js at once) while jobs are
 * mid-step, and `npm run dev` again on the same data: every job completes, none is FAILED by the crash, and no step
 * whose result was recorded runs again.
 */
describe("npm run dev killed with SIGKILL", () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), "jobdeck-kill-")), "pglite");
  // A fixed name: next dev adds its folder to tsconfig.json the first time it meets it, so a name per run would
  // add a line there each run.
  const distDir = ".next-killtest";
  let dev: LaunchedStack | undefined;
  afterAll(async () => {
    const pid = dev?.process.pid;
    if (pid && dev?.process.exitCode === null) process.kill(-pid, "SIGKILL");
    rmSync(distDir, { recursive: true, force: true });
  });

  const start = async (port: number, enginePort: number) =>
    launchDevStack(dataDir, distDir, { port, enginePort, detached: true, env: { ENGINE_RETRY_INTERVAL: "200ms" } });

  it("loses and fails nothing", async () => {
    const [port, enginePort] = [await freePort(), await freePort()];
    const base = `http://localhost:${port}`;
    const call = async (path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await res.json()) as any;
    };
    dev = await start(port, enginePort);
    const ids: string[] = [];
    // Step 3 holds each job 8 s, so three are seen in it together even when next dev answers a poll in 1-2 s (with
    // 2.5 s, a loaded machine's polls saw all ten finish without ever catching three in step 3 at once).
    for (let i = 0; i < 10; i++) ids.push((await call("/api/jobs", { type: "demo-task", payload: { delayMs: 8000 } })).id);
    // On a timeout, what the jobs and the stack said (a failure in CI is then readable).
    const explain = async (err: unknown) => {
      const jobs = await Promise.all(ids.map((id) => call(`/api/jobs/${id}`).catch(() => null)));
      console.log(
        "jobs:",
        JSON.stringify(jobs.map((j) => j && { status: j.status, steps: j.steps?.map((s: any) => `${s.name}:${s.status}`) })),
      );
      console.log(`stack output (end):\n${dev?.output().slice(-6000)}`);
      throw err;
    };
    await until(
      "three jobs in step 3",
      async () => {
        const jobs = await Promise.all(ids.map((id) => call(`/api/jobs/${id}`)));
        const inStep3 = (j: any) =>
          j.steps.some((s: { name: string; status: string }) => s.name === "step-3-process" && s.status === "RUNNING");
        return jobs.filter(inStep3).length >= 3;
      },
      // next dev compiles each route on its first request; in the full suite it shares two cores with every other
      // stack the tests start, and the first step requests have taken over two minutes to arrive.
      240_000,
      200,
    ).catch(explain);
    const killed = new Promise((r) => dev?.process.once("exit", r));
    const killedAt = Date.now();
    process.kill(-(dev.process.pid as number), "SIGKILL");
    await killed;

    dev = await start(port, enginePort);
    const jobs: any[] = await until(
      "every job ended",
      async () => {
        const now = await Promise.all(ids.map((id) => call(`/api/jobs/${id}`)));
        return now.every((j) => ["COMPLETED", "FAILED", "CANCELLED"].includes(j.status)) && now;
      },
      180_000,
      500,
    );
    expect(jobs.map((j) => j.status)).toEqual(Array(10).fill("COMPLETED"));
    // The engine's trace: no step it recorded ran again (each has one completed attempt at most).
    const key = JSON.parse(readFileSync(`${dataDir}.keys.json`, "utf8")).signingKey as string;
    let reruns = 0;
    for (const j of jobs) {
      const res = await fetch(`http://127.0.0.1:${enginePort}/v1/runs/${j.runId}`, { headers: { authorization: `Bearer ${key}` } });
      const run = (await res.json()) as { data: { steps: Array<{ kind: string; name: string; status: string }> } };
      const completed = run.data.steps.filter((s) => s.kind === "step" && s.status === "completed").map((s) => s.name);
      expect(new Set(completed).size, `${j.id}: ${completed.join(", ")}`).toBe(completed.length);
      // The app's own step rows: a step ran twice only if it finished in the instant before the kill, when the app
      // had recorded it but the engine had not yet (at-least-once, as on Inngest).
      for (const name of ["step-1-initialize", "step-2-validate", "step-3-process", "step-4-persist", "step-5-finalize"]) {
        const done = j.steps.filter((s: { name: string; status: string }) => s.name === name && s.status === "COMPLETED");
        expect(done.length, `${j.id} ${name}`).toBeGreaterThanOrEqual(1);
        if (done.length > 1) {
          reruns++;
          expect(Date.parse(done[0].finishedAt), `${j.id} ${name} ran twice`).toBeGreaterThan(killedAt - 1000);
        }
      }
      expect(j.steps.filter((s: { status: string }) => s.status === "RUNNING")).toEqual([]);
    }
    console.log(
      `after kill -9: ${jobs.length} jobs completed, ${reruns} step(s) ran again (each finished in the last second before the kill)`,
    );

    // Under next dev too, a failed step's stack is in the app's source, not in Turbopack's chunks.
    const failing = await call("/api/jobs", { type: "demo-task", payload: { simulateFailure: true, failAtStep: 1 } });
    const failed = await until(
      "the failing job FAILED",
      async () => {
        const j = await call(`/api/jobs/${failing.id}`);
        return j.status === "FAILED" ? j : undefined;
      },
      120_000,
      500,
    );
    expect(failed.error.stack).toMatch(/\n\s+at .*\binngest\/jobs\/demo-task\.ts:\d+:\d+/);
    expect(failed.error.stack).not.toMatch(/\.next-killtest\/|chunks\//);

    // kill -9 of the server process of `next dev` alone: `next dev` itself idles on without a server (it ignores its
    // worker's death by signal), so the launcher notices the port refusing connections and restarts Next.js.
    type Proc = { name: string; pid: number; state: string; restarts: number };
    const processes = async () => ((await call("/api/health")) as { processes: Proc[] }).processes;
    const nextDev = (await processes()).find((p) => p.name === "next") as Proc;
    const worker = Number(readFileSync(`/proc/${nextDev.pid}/task/${nextDev.pid}/children`, "utf8").trim().split(/\s+/)[0]);
    expect(readFileSync(`/proc/${worker}/cmdline`, "utf8")).toMatch(/next/);
    process.kill(worker, "SIGKILL");
    const back = await until(
      "Next.js restarted after its dev server process was killed",
      async () => (await processes().catch(() => [])).find((p) => p.name === "next" && p.state === "running" && p.restarts === 1),
      120_000,
      1_000,
    );
    expect(back.pid).not.toBe(nextDev.pid);
    const stopped = new Promise((r) => dev?.process.once("exit", r));
    dev.process.kill("SIGINT");
    await stopped;
  }, 600_000);
});
