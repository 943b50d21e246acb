import { randomBytes } from "node:crypto";
import { until } from "@jobdeck/test-kit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RUN_START_DELAY_MS, runStartTiming } from "../../inngest/middleware/run-start.js";
import { type AppStack, startAppStack } from "../support/app-stack.js";

/**
 * How often job tracking writes a job's row while its run goes (inngest/middleware/run-start.ts): a request's
 * RUNNING change is held for a moment and written with its outcome, and the steps that finish meanwhile write only
 * their own rows, which the change counts. On a real database with the real engine running the app's functions.
 */
let stack: AppStack;
const org = () => `org_${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  // A step's retry waits 3 s, so a test can look at a job in its backoff.
  stack = await startAppStack({}, { engineBackoffMs: 3000 });
});

afterAll(async () => {
  await stack?.stop();
});

afterEach(() => {
  runStartTiming.delayMs = RUN_START_DELAY_MS;
});

/** Every statement that changes a job adds one to its organization's CHANGES count (the live updates' counter). */
const writes = async (orgId: string) =>
  Number(
    (
      await stack.db().$queryRaw<Array<{ n: bigint | null }>>`
        SELECT sum("count") AS n FROM "JobCount" WHERE "orgId" = ${orgId} AND "bucket" = 'CHANGES'`
    )[0]?.n ?? 0,
  );

describe("a job's writes while its run goes", () => {
  it("a short run writes its job twice: the create, and the outcome carrying RUNNING and the count of its five steps", async () => {
    // Long enough that no machine is slow enough to write the RUNNING change on its own.
    runStartTiming.delayMs = 60_000;
    const orgId = org();
    const api = stack.caller(orgId);
    const { job } = await api.job.create({ type: "demo-task", payload: {} });
    await until("COMPLETED", async () => (await api.job.status({ id: job.id })).status === "COMPLETED");
    // It wrote the job once more per finished step before: 1 + 5 + 1.
    expect(await writes(orgId)).toBe(2);
    const detail = await api.job.byId({ id: job.id });
    expect(detail.stepsCompleted).toBe(5);
    expect(detail.steps.filter((s) => s.kind === "RUN" && s.status === "COMPLETED")).toHaveLength(5);
    expect(detail.runId).toMatch(/^[0-9A-Z]{26}$/);
    expect(detail.steps.every((s) => s.runId === detail.runId)).toBe(true);
    // The start is dated from when the request began, before its first step.
    const firstStep = Math.min(...detail.steps.map((s) => Date.parse(String(s.startedAt))));
    expect(Date.parse(String(detail.startedAt))).toBeLessThanOrEqual(firstStep);
    // Times written by job tracking are the same UTC instants as the database's own, whatever the process's zone.
    expect(Date.parse(String(detail.startedAt))).toBeGreaterThanOrEqual(Date.parse(String(detail.createdAt)));
    expect(firstStep - Date.parse(String(detail.createdAt))).toBeLessThan(60_000);
  });

  it("a longer request shows RUNNING with the steps it finished so far, then writes the job once per step", async () => {
    // Steps 1 and 2 end well within the delay; step 3 is busy long after it.
    runStartTiming.delayMs = 1500;
    const orgId = org();
    const api = stack.caller(orgId);
    const { job } = await api.job.create({ type: "demo-task", payload: { delayMs: 4000 } });
    const running = await until("RUNNING with step 3 under way", async () => {
      const s = await api.job.status({ id: job.id });
      return s.status === "RUNNING" && s;
    });
    // Steps 1 and 2 wrote only their rows: the RUNNING change counted them.
    expect(running.stepsCompleted).toBe(2);
    expect(await writes(orgId)).toBe(2);
    const done = await until("COMPLETED", async () => {
      const s = await api.job.status({ id: job.id });
      return s.status === "COMPLETED" && s;
    });
    expect(done.stepsCompleted).toBe(5);
    // The create, the RUNNING change, steps 3 to 5, the outcome.
    expect(await writes(orgId)).toBe(1 + 1 + 3 + 1);
  });

  it("a step that fails before the RUNNING change is written leaves the job WAITING for its retry, not RUNNING", async () => {
    runStartTiming.delayMs = 60_000;
    const orgId = org();
    const api = stack.caller(orgId);
    // Step 2 fails on its first attempt and passes on its retry, 3 s later.
    const failUntil = new Date(Date.now() + 2500).toISOString();
    const { job } = await api.job.create({ type: "demo-task", payload: { simulateFailure: true, failAtStep: 2, failUntil } });
    await until("step 2 errored", async () => (await api.job.byId({ id: job.id })).steps.some((s) => s.status === "ERRORED"));
    // Its request has ended by now, and the retry is seconds away.
    await new Promise((r) => setTimeout(r, 500));
    const waiting = await api.job.byId({ id: job.id });
    expect(waiting.status).toBe("WAITING");
    expect(waiting.stepsCompleted).toBe(1);
    const done = await until("COMPLETED", async () => {
      const s = await api.job.status({ id: job.id });
      return s.status === "COMPLETED" && s;
    });
    expect(done.stepsCompleted).toBe(5);
  });
});
