import { randomBytes } from "node:crypto";
import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, startAppStack } from "../support/app-stack.js";

/**
 * Creating a job and emitting its event never diverge (the outbox), a repeated send is deduplicated by event id,
 * the failure handler runs, and a backlog drains in priority order.
 */
let stack: AppStack;
const org = () => `org_${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  stack = await startAppStack();
});

afterAll(async () => {
  await stack?.stop();
});

const engineRuns = async (fn: string) => {
  const res = await stack.engineApi(`/v1/runs?function_id=${fn}&limit=500`);
  return ((await res.json()) as { data: Array<{ run_id: string; status: string; event_id?: string; events?: unknown }> }).data;
};

describe("transactional outbox", () => {
  it("keeps the event of a job created while Inngest is down, and delivers it when Inngest is back", async () => {
    const api = stack.caller(org());
    await stack.stopEngine();
    const { job } = await api.job.create({ type: "demo-task", payload: { taskId: "while-down" } });
    const cancelledMeanwhile = (await api.job.create({ type: "demo-task", payload: {} })).job;
    await api.job.cancel({ id: cancelledMeanwhile.id });
    expect(job.status).toBe("QUEUED");
    const pending = await stack.db().outboxEvent.findUniqueOrThrow({ where: { id: job.id ? `jobdeck-${job.id}-start-1` : "" } });
    expect(pending.sentAt).toBeNull();
    expect(pending.attempts).toBe(1);
    expect(pending.lastError).toBeTruthy();
    // The cancelled job's start event was withdrawn from the outbox; only its cancel event waits.
    expect(await stack.db().outboxEvent.count({ where: { jobId: cancelledMeanwhile.id, sentAt: null } })).toBe(1);

    await stack.restartEngine();
    await stack.db().outboxEvent.updateMany({ data: { nextAttemptAt: new Date() } }); // do not wait out the backoff
    const relayed = await stack.relayOutbox();
    expect(relayed).toMatchObject({ failed: 0 });
    expect(relayed.sent).toBeGreaterThanOrEqual(2);
    await until("COMPLETED after the outage", async () => (await api.job.status({ id: job.id })).status === "COMPLETED");
    expect(await stack.db().outboxEvent.count({ where: { sentAt: null } })).toBe(0);
    expect((await api.job.byId({ id: cancelledMeanwhile.id })).steps).toEqual([]);
  });

  it("sends an event again after a lost acknowledgement without running the job twice", async () => {
    const api = stack.caller(org());
    const { job } = await api.job.create({ type: "demo-task", payload: {} });
    await until("COMPLETED", async () => (await api.job.status({ id: job.id })).status === "COMPLETED");
    const eventId = `jobdeck-${job.id}-start-1`;
    // As after an answer that never came: unsent, and due again.
    await stack.db().outboxEvent.update({ where: { id: eventId }, data: { sentAt: null, nextAttemptAt: new Date() } });
    expect(await stack.relayOutbox({ ids: [eventId] })).toEqual({ sent: 1, failed: 0 });
    // The engine answered the send after storing it and deciding its runs: it recorded the event twice and started one run.
    const [counts] = await stack.db().$queryRaw<Array<{ events: bigint; runs: bigint }>>`
      SELECT (SELECT count(*) FROM engine.events WHERE id = ${eventId}) AS events,
             (SELECT count(*) FROM engine.runs WHERE function_slug = 'jobdeck-demo-task' AND events::text LIKE ${`%${job.id}%`}) AS runs`;
    expect(counts).toEqual({ events: 2n, runs: 1n });
    expect(await stack.db().jobStep.count({ where: { jobId: job.id, name: "step-1-initialize" } })).toBe(1);
  });

  it("relays the start events of concurrent creates together: one claim, send and mark for many", async () => {
    const orgs = Array.from({ length: 40 }, () => org());
    // A type without demo-task's throttle, which the priority test below needs whole.
    const jobs = await Promise.all(orgs.map((o) => stack.caller(o).job.create({ type: "sync-analytics", payload: { minutes: 1 } })));
    const rows = await stack.db().outboxEvent.findMany({ where: { jobId: { in: jobs.map((j) => j.job.id) } } });
    // Every event was sent before its create answered, none is left to the relay loop.
    expect(rows.map((r) => r.sentAt === null)).toEqual(Array(40).fill(false));
    // One "sent" mark stamps a pass's events with one time: a pass per create would leave (about) 40 different ones.
    const passes = new Set(rows.map((r) => r.sentAt?.getTime())).size;
    console.log(`40 concurrent creates relayed in ${passes} passes`);
    expect(passes).toBeLessThanOrEqual(20);
    for (const { job } of jobs)
      await until("COMPLETED", async () => (await stack.db().job.findUnique({ where: { id: job.id } }))?.status === "COMPLETED");
  });
});

describe("failure handler", () => {
  it("runs the demo task's onFailure, which marks the job FAILED with the error", async () => {
    const api = stack.caller(org());
    const { job } = await api.job.create({ type: "demo-task", payload: { simulateFailure: true, failAtStep: 5 } });
    await until("FAILED", async () => (await api.job.status({ id: job.id })).status === "FAILED");
    const handler = await until("failure handler run", async () => {
      for (const r of await engineRuns("jobdeck-demo-task-failure")) {
        const detail = (await (await stack.engineApi(`/v1/runs/${r.run_id}`)).json()) as { data: unknown };
        if (r.status === "Completed" && JSON.stringify(detail.data).includes(job.id)) return detail.data;
      }
      return undefined;
    });
    expect(handler).toBeTruthy();
    const detail = await api.job.byId({ id: job.id });
    expect(detail.error).toMatchObject({ message: expect.stringContaining("simulated failure at step 5") });
    expect(detail.stepsCompleted).toBe(4);
  });
});

describe("priority", () => {
  it("drains a backlog highest priority first", async () => {
    const api = stack.caller(org());
    // Ten jobs fill demo-task's concurrency of 10 for a while; then low-priority and high-priority jobs queue up.
    const blockers: string[] = [];
    for (let i = 0; i < 10; i++) blockers.push((await api.job.create({ type: "demo-task", payload: { delayMs: 2500 } })).job.id);
    await until(
      "blockers in step 3",
      async () => (await stack.db().jobStep.count({ where: { jobId: { in: blockers }, name: "step-3-process" } })) === 10,
    );
    const low: string[] = [];
    const high: string[] = [];
    for (let i = 0; i < 4; i++) low.push((await api.job.create({ type: "demo-task", payload: {}, priority: -600 })).job.id);
    for (let i = 0; i < 4; i++) high.push((await api.job.create({ type: "demo-task", payload: {}, priority: 600 })).job.id);
    const all = [...blockers, ...low, ...high];
    await until(
      "all completed",
      async () => (await stack.db().job.count({ where: { id: { in: all }, status: "COMPLETED" } })) === all.length,
      60_000,
    );
    // When the engine sent each run's first request (freed slots go to the best-scored waiting run, one at a time).
    // The app's own startedAt is when that request arrived, and requests sent a millisecond apart arrive in any order.
    const started = async (ids: string[]) =>
      (
        await stack.db().$queryRaw<Array<{ started_at: bigint }>>`
          SELECT started_at FROM engine.runs WHERE function_slug = 'jobdeck-demo-task' AND events->0->'data'->>'jobId' = ANY(${ids})`
      ).map((r) => Number(r.started_at));
    const [highStarts, lowStarts] = [await started(high), await started(low)];
    expect([highStarts.length, lowStarts.length]).toEqual([4, 4]);
    const lastHigh = Math.max(...highStarts);
    const firstLow = Math.min(...lowStarts);
    expect(lastHigh).toBeLessThanOrEqual(firstLow);
  }, 90_000);
});
