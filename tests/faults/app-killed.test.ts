import { randomBytes } from "node:crypto";
import { freePort, sleep, until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killNow, startAppChild } from "../support/app-child.js";
import { type AppStack, startAppStack } from "../support/app-stack.js";

/**
 * kill -9 of the app (not the engine) while its jobs are mid-step, and the app back 20 s later: being down is not
 * failing. Every job completes, none is FAILED by the fault, no step whose result was recorded runs again, and the
 * step rows the kill interrupted are closed, not left RUNNING.
 */
let stack: AppStack;
beforeAll(async () => {
  stack = await startAppStack();
});
afterAll(async () => stack?.stop());

describe("the app killed mid-step", () => {
  it("loses and fails nothing: 50 jobs complete after 20 s down", async () => {
    const port = await freePort();
    let app = await startAppChild(port);
    expect((await stack.engine.apps.syncUrl(`http://127.0.0.1:${port}/api/inngest`)).ok).toBe(true);
    try {
      const orgs = Array.from({ length: 5 }, () => `org_${randomBytes(4).toString("hex")}`);
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) {
        const api = stack.caller(orgs[i % 5] as string);
        ids.push((await api.job.create({ type: "demo-task", payload: { delayMs: 2500 } })).job.id);
      }
      const inStep3 = () => stack.db().jobStep.count({ where: { jobId: { in: ids }, name: "step-3-process", status: "RUNNING" } });
      await until("jobs mid-step", async () => (await inStep3()) >= 8, 60_000);
      const interruptedAtKill = await inStep3();
      await killNow(app);
      await sleep(20_000);
      // Down for 20 s: nothing failed, and the engine says why the runs wait.
      expect(await stack.db().job.count({ where: { id: { in: ids }, status: "FAILED" } })).toBe(0);
      const runs = (await (await stack.engineApi("/v1/runs?function_id=jobdeck-demo-task&status=running&limit=100")).json()) as {
        data: Array<{ waiting: { reason: string } | null }>;
      };
      expect(runs.data.some((r) => /app jobdeck is not answering/.test(r.waiting?.reason ?? ""))).toBe(true);
      app = await startAppChild(port);

      await until(
        "all 50 COMPLETED",
        async () => (await stack.db().job.count({ where: { id: { in: ids }, status: "COMPLETED" } })) === 50,
        180_000,
      );
      const steps = await stack.db().jobStep.findMany({ where: { jobId: { in: ids } } });
      expect(steps.filter((s) => s.status === "RUNNING")).toEqual([]);
      for (const id of ids) {
        const mine = steps.filter((s) => s.jobId === id);
        // Steps recorded before the kill ran once; only the step in flight at the kill ran again.
        for (const name of ["step-1-initialize", "step-2-validate", "step-4-persist", "step-5-finalize"]) {
          expect(
            mine.filter((s) => s.name === name).map((s) => s.status),
            `${id} ${name}`,
          ).toEqual(["COMPLETED"]);
        }
        const third = mine.filter((s) => s.name === "step-3-process").map((s) => s.status);
        expect(third.filter((s) => s === "COMPLETED")).toHaveLength(1);
        expect(third.filter((s) => s !== "COMPLETED").every((s) => s === "ERRORED")).toBe(true);
      }
      const interrupted = steps.filter((s) => s.status === "ERRORED");
      expect(interrupted.length).toBe(interruptedAtKill);
      expect(interrupted.every((s) => (s.error as { name?: string }).name === "Interrupted")).toBe(true);
    } finally {
      await killNow(app);
      await stack.engine.apps.syncUrl(stack.appUrl);
    }
  }, 300_000);
});
