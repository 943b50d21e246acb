import { randomBytes } from "node:crypto";
import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, startAppStack } from "../support/app-stack.js";

/**
 * Pause a function, create jobs for it, resume it: the jobs wait (saying why) and then run. Against an Inngest that
 * drops a paused function's events instead, the stalled-job sweep sends their start events again once the function
 * is active (here: an event that found no function at all, as Inngest would have dropped it).
 */
let stack: AppStack;
beforeAll(async () => {
  stack = await startAppStack();
});
afterAll(async () => stack?.stop());
const org = () => `org_${randomBytes(4).toString("hex")}`;

describe("pause, create, resume", () => {
  it("keeps the jobs created while paused and runs them on resume", async () => {
    const operator = stack.caller(org(), "user_dev");
    const api = stack.caller(org());
    await operator.system.setPaused({ id: "jobdeck-render-report", paused: true });
    const ids = await Promise.all(
      [1, 2, 3].map(async () => (await api.job.create({ type: "render-report", payload: { days: 1 } })).job.id),
    );
    const why = await until("explained", async () => {
      const insight = await api.job.insight({ id: ids[0] as string });
      return insight.waiting.find((w) => w.includes("paused"));
    });
    expect(why).toMatch(/paused/);
    expect(await stack.db().job.count({ where: { id: { in: ids }, status: "QUEUED" } })).toBe(3);
    await operator.system.setPaused({ id: "jobdeck-render-report", paused: false });
    await until("all completed", async () => (await stack.db().job.count({ where: { id: { in: ids }, status: "COMPLETED" } })) === 3);
  });

  it("sends the start event again when Inngest started no run from it", async () => {
    const api = stack.caller(org());
    // Inngest without the app's functions (as if it dropped the event): the start event is stored, starts nothing.
    expect((await stack.engineApi("/v1/apps/jobdeck", { method: "DELETE" })).status).toBe(200);
    const { job } = await api.job.create({ type: "sync-analytics", payload: { minutes: 1 } });
    await until("event sent", async () => (await stack.db().outboxEvent.findFirst({ where: { jobId: job.id } }))?.sentAt);
    const insight = await until("explained", async () =>
      (await api.job.insight({ id: job.id })).waiting.find((w) => w.includes("started no run")),
    );
    expect(insight).toMatch(/sweep sends it again/);
    // The function is back; the sweep (every 5 minutes on its cron) finds the job and sends its start event again.
    expect((await stack.engine.apps.syncUrl(stack.appUrl)).ok).toBe(true);
    const { redeliverUnstartedJobs } = await import("../../server/services/maintenance/redeliver-unstarted-jobs.js");
    const redelivered = await redeliverUnstartedJobs(new Date(Date.now() + 5 * 60_000));
    expect(redelivered.map((r) => r.jobId)).toContain(job.id);
    await until("completed", async () => (await api.job.status({ id: job.id })).status === "COMPLETED");
    // Nothing else to do: a second sweep sends nothing more.
    expect((await redeliverUnstartedJobs(new Date(Date.now() + 10 * 60_000))).map((r) => r.jobId)).not.toContain(job.id);
  });
});
