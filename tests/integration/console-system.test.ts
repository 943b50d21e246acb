import { randomBytes } from "node:crypto";
import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, finishedJob, startAppStack } from "../support/app-stack.js";

/**
 * The console's view of Inngest itself on the real stack (engine, the SDK's serve() handler, PostgreSQL): schedules
 * with their next times, synced apps and a resync, invoking a function and running a schedule now, the runs list
 * without system functions unless asked, events by name and time, and an existing job returned by its key.
 */
let stack: AppStack;
const hex = () => randomBytes(4).toString("hex");
const OPERATOR = "user_operator";

beforeAll(async () => {
  stack = await startAppStack({ JOBDECK_OPERATORS: OPERATOR });
});
afterAll(async () => stack?.stop());

describe("schedules and apps", () => {
  it("lists every cron with its next times, soonest first; its last run is an operator's to see", async () => {
    const org = `org_${hex()}`;
    const schedules = await stack.caller(org).system.schedules();
    const snapshot = schedules.find((s) => s.functionId === "jobdeck-snapshot-queue-stats");
    expect(snapshot).toMatchObject({ cron: "* * * * *", timeZone: "UTC", problem: null, lastRun: null });
    expect(snapshot?.next).toHaveLength(3);
    const [a, b] = (snapshot?.next ?? []).map((t) => Date.parse(t));
    expect((b as number) - (a as number)).toBe(60_000);
    expect(a as number).toBeGreaterThan(Date.now() - 1_000);
    expect(a as number).toBeLessThanOrEqual(Date.now() + 60_000);
    const firsts = schedules.map((s) => s.next[0] ?? "~");
    expect(firsts).toEqual([...firsts].sort());
    expect(schedules.find((s) => s.functionId === "jobdeck-prune-old-jobs")?.next[0]).toMatch(/T03:00:00\.000Z$/);
  });

  it("runs a schedule now for an operator only, and the runs list shows it only when system functions are asked for", async () => {
    const org = `org_${hex()}`;
    const tenant = stack.caller(org);
    const ops = stack.caller(org, OPERATOR);
    await expect(tenant.system.invoke({ functionId: "jobdeck-snapshot-queue-stats" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const { eventId } = await ops.system.invoke({ functionId: "jobdeck-snapshot-queue-stats" });
    expect(eventId).toBeTruthy();
    const byName = await until("the run-now run completed", async () => {
      const l = await ops.run.list({ functionId: "jobdeck-snapshot-queue-stats", status: ["completed"] });
      return l.runs.some((r) => r.event_name === "inngest/function.invoked") && l;
    });
    const run = byName.runs.find((r) => r.event_name === "inngest/function.invoked");
    expect((await ops.run.list({ includeSystem: true, limit: 200 })).runs.map((r) => r.run_id)).toContain(run?.run_id);
    const jobsOnly = await ops.run.list({ limit: 200 });
    expect(jobsOnly.runs.map((r) => r.run_id)).not.toContain(run?.run_id);
    expect(jobsOnly.runs.every((r) => r.function_id.startsWith("jobdeck-") && !/snapshot|relay|alerts|track/.test(r.function_id))).toBe(
      true,
    );
    // The schedule's last run, for an operator.
    const schedules = await ops.system.schedules();
    expect(schedules.find((s) => s.functionId === "jobdeck-snapshot-queue-stats")?.lastRun?.runId).toBeTruthy();
  }, 60_000);

  it("invokes a job function as a job of the caller's organization, and refuses a tenant any other function", async () => {
    const org = `org_${hex()}`;
    const api = stack.caller(org);
    const taskId = `inv${hex()}`;
    // The data is the job's payload, checked as a create checks it.
    await expect(api.system.invoke({ functionId: "jobdeck-demo-task", data: { taskId, jobId: "x" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("payload.jobId"),
    });
    await expect(api.system.invoke({ functionId: "no-such-function" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(api.system.invoke({ functionId: "bad id!" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const { jobId, created } = await api.system.invoke({ functionId: "jobdeck-demo-task", data: { taskId } });
    expect(created).toBe(true);
    const done = await finishedJob(api, jobId as string);
    expect(done).toMatchObject({ status: "COMPLETED", type: "demo-task", source: "UI" });
    expect((await stack.caller(`org_${hex()}`).job.list({ q: taskId })).items).toEqual([]);
    // A tracker's event could speak for any organization's job: forging one is an operator's at most.
    const victim = await stack.caller(`org_${hex()}`).job.create({ type: "demo-task", payload: { taskId: `v${hex()}`, delayMs: 5_000 } });
    const forged = { event: { data: { jobId: victim.job.id, orgId: "someone" } }, error: { message: "forged" } };
    await expect(api.system.invoke({ functionId: "jobdeck-track-failures", data: forged })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(api.system.invoke({ functionId: "jobdeck-relay-outbox" })).rejects.toMatchObject({ code: "FORBIDDEN" });
  }, 60_000);

  it("lists the synced app with its functions and resyncs it for an operator only", async () => {
    const org = `org_${hex()}`;
    const [app] = await stack.caller(org).system.apps();
    expect(app).toMatchObject({ id: "jobdeck", url: null, error: null });
    expect(app?.sdk).toMatch(/js/);
    expect(app?.functions).toContain("jobdeck-demo-task");
    expect(app?.functionCount).toBe(app?.functions.length);
    await expect(stack.caller(org).system.resyncApps()).rejects.toMatchObject({ code: "FORBIDDEN" });
    const ops = stack.caller(org, OPERATOR);
    const before = (await ops.system.apps())[0];
    expect(before?.url).toMatch(/^http:\/\/.*\/api\/inngest/);
    const out = await ops.system.resyncApps();
    expect(out).toEqual([{ url: before?.url, ok: true, error: null }]);
    expect(Date.parse((await ops.system.apps())[0]?.syncedAt as string)).toBeGreaterThan(Date.parse(before?.syncedAt as string));
  });
});

describe("events and keys", () => {
  it("filters events by name and time, and labels internal ones", async () => {
    const org = `org_${hex()}`;
    const api = stack.caller(org);
    const since = new Date(Date.now() - 1_000);
    await api.system.sendEvent({ name: "shop/order.placed", data: { n: 1 } });
    await api.system.sendEvent({ name: "shop/order.shipped", data: { n: 2 } });
    const { job } = await api.job.create({ type: "demo-task", payload: { taskId: `c${hex()}`, delayMs: 20_000 } });
    await api.job.cancel({ id: job.id });
    const placed = await until("the events listed", async () => {
      const l = await api.system.events({ name: "shop/order.placed", from: since });
      return l.length === 1 && l;
    });
    expect(placed[0]?.name).toBe("shop/order.placed");
    expect(await api.system.events({ name: "shop/order.placed", from: new Date(Date.now() + 60_000) })).toEqual([]);
    const cancel = await until("the cancel event listed", async () => {
      const l = await api.system.events({ name: "jobdeck/job.cancel.requested" });
      return l.length > 0 && l;
    });
    expect(cancel[0]?.internal).toMatch(/^internal: asks its job's run to stop/);
    expect(placed[0]?.internal).toBeNull();
    await expect(api.system.events({ from: new Date(Date.now()), to: new Date(Date.now() - 60_000) })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("from"),
    });
    await finishedJob(api, job.id);
  }, 60_000);

  it("returns an existing job for a reused key, saying it was not created, with the key on the job", async () => {
    const api = stack.caller(`org_${hex()}`);
    const key = `k${hex()}`;
    const first = await api.job.create({ type: "demo-task", payload: { taskId: `a${hex()}` }, idempotencyKey: key });
    const again = await api.job.create({ type: "demo-task", payload: { taskId: `b${hex()}` }, idempotencyKey: key });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, job: { id: first.job.id, idempotencyKey: key } });
    // A demo task's taskId is its implied key.
    const taskId = `t${hex()}`;
    const one = await api.job.create({ type: "demo-task", payload: { taskId } });
    const two = await api.job.create({ type: "demo-task", payload: { taskId } });
    expect(two).toMatchObject({ created: false, job: { id: one.job.id } });
    expect(two.job.idempotencyKey).toContain(taskId);
  });

  it("labels jobs with tags at create, one by one and in a batch, lists them by tag, and carries them to a replay", async () => {
    const org = `org_${hex()}`;
    const api = stack.caller(org);
    const { job } = await api.job.create({
      type: "demo-task",
      payload: { taskId: `g${hex()}` },
      tags: ["nightly", "customer:acme", "nightly"],
    });
    expect(job.tags).toEqual(["nightly", "customer:acme"]);
    const batch = await api.job.createMany({
      items: [
        { type: "demo-task", payload: { taskId: `g${hex()}` }, tags: ["nightly"] },
        { type: "demo-task", payload: { taskId: `g${hex()}` } },
      ],
    });
    const batched = await Promise.all(batch.items.map((i) => api.job.byId({ id: i.id })));
    expect(batched.map((j) => j.tags)).toEqual([["nightly"], []]);
    const nightly = await api.job.list({ tag: "nightly" });
    expect(nightly.items.map((j) => j.id).sort()).toEqual([job.id, batch.items[0]?.id].sort());
    expect((await api.job.count({ tag: "customer:acme" })).count).toBe(1);
    expect((await stack.caller(`org_${hex()}`).job.list({ tag: "nightly" })).items).toEqual([]);
    // A bad tag is named by its place, at create and in a filter; nothing is written.
    await expect(api.job.create({ type: "demo-task", payload: {}, tags: ["ok", "has space"] })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("tags.1"),
    });
    await expect(
      api.job.create({ type: "demo-task", payload: {}, tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(api.job.list({ tag: "a b" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect((await api.job.count({})).count).toBe(3);
    await finishedJob(api, job.id);
    const { job: replay } = await api.job.replay({ id: job.id });
    expect(replay.tags).toEqual(["nightly", "customer:acme"]);
  }, 60_000);

  it("replays runs picked one by one: a failed one once, a completed one skipped with its reason", async () => {
    const api = stack.caller(`org_${hex()}`);
    const { job: bad } = await api.job.create({
      type: "demo-task",
      payload: { taskId: `f${hex()}`, simulateFailure: true, failAtStep: 1 },
    });
    const { job: good } = await api.job.create({ type: "demo-task", payload: { taskId: `o${hex()}` } });
    const [failed, done] = await Promise.all([finishedJob(api, bad.id), finishedJob(api, good.id)]);
    const runIds = [failed.runId as string, done.runId as string];
    await until("both runs ended in the engine", async () => {
      const l = await api.run.list({ limit: 50 });
      return runIds.every((id) => l.runs.some((r) => r.run_id === id && ["Failed", "Completed"].includes(r.status)));
    });
    const previewed = await api.run.replayFailed({ runIds, preview: true });
    expect(previewed).toMatchObject({ matched: 1, toReplay: 1, replayed: 0 });
    expect(previewed.skipped).toEqual([{ runId: done.runId, jobId: null, reason: "it did not fail (completed)" }]);
    expect((await api.run.replayFailed({ runIds, preview: false })).replayed).toBe(1);
    expect((await api.run.replayFailed({ runIds, preview: false })).replayed).toBe(0);
    await expect(api.run.replayFailed({ runIds: ["../x"], preview: true })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(api.run.replayFailed({ runIds: [], preview: true })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  }, 90_000);
});
