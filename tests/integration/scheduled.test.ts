import { randomBytes } from "node:crypto";
import { sleep, until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, startAppStack } from "../support/app-stack.js";

/**
 * The scheduled functions: the periodic report with a short schedule (every second) and a 3-second window shows
 * one run per window across an engine restart; the stalled-job recovery and the retention pruning work on real
 * rows and ask the real engine whether runs are alive.
 */
let stack: AppStack;
const org = () => `org_${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  stack = await startAppStack({
    PERIODIC_REPORT_CRON: "@every 1s",
    PERIODIC_REPORT_WINDOW_SECONDS: "3",
    STALLED_AFTER_MINUTES: "1",
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe("periodic-report", () => {
  it("runs once per window however often the schedule fires, across a restart", async () => {
    const api = stack.caller(org());
    const producing = (async () => {
      for (let i = 0; i < 12; i++) {
        await api.job.create({ type: "demo-task", payload: {} });
        await sleep(1000);
      }
    })();
    const windows = () => stack.db().$queryRaw<Array<{ window: string; runs: bigint }>>`
      SELECT output->>'window' AS window, count(*) AS runs FROM engine.runs
       WHERE function_slug = 'jobdeck-periodic-report' AND status = 'completed' GROUP BY 1 ORDER BY 1`;
    await until("two windows reported before the restart", async () => (await windows()).length >= 2);
    await stack.stopEngine();
    // Down across at least one fire: the schedule must not make up the missed window twice.
    await sleep(1500);
    await stack.restartEngine();
    await producing;
    const rows = await until("three windows reported", async () => {
      const r = await windows();
      return r.length >= 3 && r;
    });
    const [fires] = await stack.db().$queryRaw<Array<{ n: bigint }>>`
      SELECT count(*) AS n FROM engine.events WHERE name = 'inngest/scheduled.timer' AND data->>'cron' = '@every 1s'`;
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const r of rows) expect(Number(r.runs), `window ${r.window}`).toBe(1);
    expect(Number(fires?.n)).toBeGreaterThan(rows.length);

    // One document per organization and window, each covering a window that had jobs.
    const docs = await stack.db().document.groupBy({ by: ["orgId", "title"], where: { kind: "periodic-report" }, _count: { _all: true } });
    expect(docs.length).toBeGreaterThanOrEqual(2);
    for (const d of docs) expect(d._count._all).toBe(1);
  }, 60_000);
});

describe("recover-stalled-jobs", () => {
  it("fails jobs whose run is gone and leaves a long wait alone", async () => {
    const api = stack.caller(org());
    const waiting = (await api.job.create({ type: "approval-workflow", payload: { title: "patience" } })).job;
    await until("waiting", async () => (await api.job.status({ id: waiting.id })).status === "WAITING");
    const orphan = (await api.job.create({ type: "demo-task", payload: {} })).job;
    await until("done", async () => (await api.job.status({ id: orphan.id })).status === "COMPLETED");
    // The orphan looks RUNNING to the app but its run is over; both heartbeats are old.
    const old = new Date(Date.now() - 5 * 60_000);
    await stack.db().job.update({ where: { id: orphan.id }, data: { status: "RUNNING", finishedAt: null, heartbeatAt: old } });
    await stack.db().job.update({ where: { id: waiting.id }, data: { heartbeatAt: old } });
    const ghost = await stack.db().job.create({
      data: {
        orgId: "org_ghost",
        createdBy: "u",
        type: "demo-task",
        payload: {},
        source: "API",
        status: "RUNNING",
        runId: "01KZZZZZZZZZZZZZZZZZZZZZZZ",
        heartbeatAt: old,
      },
    });

    const { recoverStalledJobs } = await import("../../server/services/maintenance/recover-stalled-jobs.js");
    const stalled = await recoverStalledJobs();
    expect(stalled.map((s) => s.jobId).sort()).toEqual([orphan.id, ghost.id].sort());
    const orphanRow = await api.job.byId({ id: orphan.id });
    expect(orphanRow.status).toBe("FAILED");
    expect(orphanRow.error).toMatchObject({ name: "Stalled", message: expect.stringContaining("stalled") });
    expect((await api.job.status({ id: waiting.id })).status).toBe("WAITING");
  });
});

describe("prune-old-jobs", () => {
  it("deletes finished jobs past retention in batches and keeps the rest", async () => {
    const orgId = org();
    const api = stack.caller(orgId);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.job.create({ type: "demo-task", payload: {} })).job.id);
    for (const id of ids) await until("done", async () => (await api.job.status({ id })).status === "COMPLETED");
    const day = 86_400_000;
    await stack.db().job.updateMany({ where: { id: { in: ids.slice(0, 3) } }, data: { finishedAt: new Date(Date.now() - 8 * day) } });
    await stack
      .db()
      .job.update({ where: { id: ids[3] as string }, data: { status: "FAILED", finishedAt: new Date(Date.now() - 8 * day) } });

    const { pruneJobsBatch } = await import("../../server/services/maintenance/prune-old-jobs.js");
    expect(await pruneJobsBatch("completed", 2)).toEqual({ deleted: 2, more: true });
    expect(await pruneJobsBatch("completed", 2)).toMatchObject({ deleted: 1 });
    // A failure is kept 30 days, so the 8-day-old one stays.
    expect(await pruneJobsBatch("failed", 2)).toEqual({ deleted: 0, more: false });
    const left = await stack.db().job.findMany({ where: { orgId }, select: { id: true } });
    expect(left.map((j) => j.id).sort()).toEqual([ids[3], ids[4]].sort());
    expect(await stack.db().jobStep.count({ where: { jobId: { in: ids.slice(0, 3) } } })).toBe(0);
  });
});
