import { startTcpProxy, type TcpProxy, until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH_VARIABLES, type LaunchedStack, launchStack } from "../support/launch-stack.js";
import { ensureNextBuild } from "../support/next-build.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/**
 * `npm start` on a database behind a TCP proxy the test controls. The database drops every connection for 20 s
 * while jobs run, then hangs (accepts, never answers): the launcher, the engine and Next.js keep running, the API
 * answers 503 with Retry-After (never 500), /api/health answers within 2 s, and once the database is back every
 * job completes with no recorded step run twice.
 */
let database: TestDatabase;
let proxy: TcpProxy;
let stack: LaunchedStack;

beforeAll(async () => {
  database = await createTestDatabase("jobdeck_blip");
  proxy = await startTcpProxy(database.url);
  const buildEnv = { ...process.env };
  delete buildEnv.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY;
  await ensureNextBuild(".next", buildEnv);
  stack = await launchStack({ DATABASE_URL: proxy.url, ALLOW_DEV_AUTH: "1" }, AUTH_VARIABLES);
}, 300_000);
afterAll(async () => {
  await stack?.kill();
  await proxy?.close();
  await database?.drop();
}, 60_000);

const api = async (path: string, init: RequestInit = {}) => {
  const started = Date.now();
  const res = await fetch(`${stack.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get("retry-after"), ms: Date.now() - started, text };
};
const create = (body: unknown) =>
  api("/api/jobs", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("the database away for 20 s, then hanging", () => {
  it("keeps every process up, answers 503 meanwhile, and finishes every job afterwards", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(JSON.parse((await create({ type: "demo-task", payload: { delayMs: 1500 } })).text).id);
    // Some are mid-step when the database goes away.
    await until(
      "jobs mid-step",
      async () => {
        const running = await Promise.all(
          ids.map(async (id) => (JSON.parse((await api(`/api/jobs/${id}/status`)).text) as { status: string }).status),
        );
        return running.filter((st) => st === "RUNNING").length >= 2;
      },
      60_000,
      100,
    );

    proxy.cut();
    const outage = Date.now();
    const answers: Array<{ status: number; retryAfter: string | null; ms: number; path: string }> = [];
    while (Date.now() - outage < 20_000) {
      for (const path of ["/api/jobs", "/api/dashboard", "/api/health"]) answers.push({ path, ...(await api(path)) });
      answers.push({ path: "POST /api/jobs", ...(await create({ type: "demo-task", payload: {} })) });
      await new Promise((r) => setTimeout(r, 1000));
    }
    proxy.hang();
    const hanging = await api("/api/health");
    proxy.restore();

    expect(answers.filter((a) => a.status === 500)).toEqual([]);
    for (const a of answers.filter((x) => x.path !== "/api/health")) {
      expect(a.status, a.path).toBe(503);
      expect(a.retryAfter, a.path).toBe("5");
    }
    for (const a of answers.filter((x) => x.path === "/api/health")) expect(a.status).toBe(503);
    expect(hanging.status).toBe(503);
    expect(hanging.ms).toBeLessThan(3000);
    expect(stack.process.exitCode).toBeNull();

    // Back: every job completes, none failed by the outage, and no step recorded before it ran again.
    const statuses = await until(
      "every job ended",
      async () => {
        const now = await Promise.all(
          ids.map(async (id) => (JSON.parse((await api(`/api/jobs/${id}/status`)).text) as { status: string }).status),
        );
        return now.every((st) => st === "COMPLETED" || st === "FAILED") && now;
      },
      180_000,
      500,
    );
    if (!statuses.every((s) => s === "COMPLETED")) {
      const { readFileSync } = await import("node:fs");
      const key = JSON.parse(readFileSync(".data/pglite.keys.json", "utf8")).signingKey;
      for (const [i, id] of ids.entries()) {
        if (statuses[i] === "COMPLETED") continue;
        const job = JSON.parse((await api(`/api/jobs/${id}`)).text);
        const run = await (await fetch(`${stack.engineUrl}/v1/runs/${job.runId}`, { headers: { authorization: `Bearer ${key}` } })).json();
        console.log(
          JSON.stringify(
            { job: { status: job.status, steps: job.steps.map((s: any) => [s.name, s.status, s.attempt]) }, run: run.data },
            null,
            1,
          ).slice(0, 4000),
        );
      }
    }
    expect(statuses).toEqual(Array(ids.length).fill("COMPLETED"));
    for (const id of ids) {
      const job = JSON.parse((await api(`/api/jobs/${id}`)).text) as { steps: Array<{ name: string; status: string }> };
      // Every step completed. A step whose result the engine could not store while the database was away runs
      // again (Inngest's steps are at-least-once), so a step may show two completions, never none.
      for (const name of ["step-1-initialize", "step-2-validate", "step-4-persist", "step-5-finalize"]) {
        const completed = job.steps.filter((s) => s.name === name && s.status === "COMPLETED");
        expect(completed.length, `${id} ${name}`).toBeGreaterThanOrEqual(1);
        expect(completed.length, `${id} ${name}`).toBeLessThanOrEqual(2);
      }
      expect(job.steps.filter((s) => s.status === "RUNNING")).toEqual([]);
    }
    expect((await api("/api/health")).status).toBe(200);
  }, 400_000);
});
