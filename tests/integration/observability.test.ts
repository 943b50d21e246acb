import { randomBytes } from "node:crypto";
import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, finishedJob, startAppStack } from "../support/app-stack.js";

/**
 * The console's observability services on the real stack (engine, the SDK's serve() handler, PostgreSQL): step log
 * capture and its limits, full-text log search (on 100k lines, through the index), the runs explorer scoped to an
 * organization, replay with an edited payload and rerun of a job from a step.
 */
let stack: AppStack;
const hex = () => randomBytes(4).toString("hex");
const OPERATOR = "user_operator";

beforeAll(async () => {
  stack = await startAppStack({ JOBDECK_OPERATORS: OPERATOR });
});
afterAll(async () => stack?.stop());

describe("step logs", () => {
  it("stores the SDK logger's lines per step attempt, once each, and finds them by level and words", async () => {
    const org = `org_${hex()}`;
    const api = stack.caller(org);
    const taskId = `task${hex()}`;
    const { job } = await api.job.create({ type: "demo-task", payload: { taskId } });
    expect((await finishedJob(api, job.id)).status).toBe("COMPLETED");
    const lines = await until("five log lines", async () => {
      const l = await api.job.logs({ id: job.id });
      return l.length >= 5 && l;
    });
    // One line per step, under its step (each request replays the earlier steps: they must not log again).
    expect(lines.map((l) => l.stepName)).toEqual([
      "step-1-initialize",
      "step-2-validate",
      "step-3-process",
      "step-4-persist",
      "step-5-finalize",
    ]);
    expect(lines.every((l) => l.level === "info" && l.message.includes(taskId) && l.attempt === 0)).toBe(true);
    const steps = (await api.job.byId({ id: job.id })).steps;
    expect(new Set(lines.map((l) => l.runId))).toEqual(new Set(steps.map((s) => s.runId)));

    const found = await api.run.logs({ q: `level:info ${taskId}` });
    expect(found.lines).toHaveLength(5);
    // Newest first.
    expect(found.lines[0]?.stepName).toBe("step-5-finalize");
    expect((await api.run.logs({ q: `level:error ${taskId}` })).lines).toEqual([]);
    // Another organization sees none of it.
    expect((await stack.caller(`org_${hex()}`).run.logs({ q: taskId })).lines).toEqual([]);
  }, 60_000);

  it("writes a long step's lines while it still runs, not only when its request ends", async () => {
    const org = `org_${hex()}`;
    const api = stack.caller(org);
    const taskId = `long${hex()}`;
    const { job } = await api.job.create({ type: "demo-task", payload: { taskId, delayMs: 5_000 } });
    const line = await until("step 3's line while step 3 works", async () => {
      const l = (await api.job.logs({ id: job.id })).find((x) => x.stepName === "step-3-process");
      return l && (await api.job.byId({ id: job.id })).status === "RUNNING" && l;
    });
    expect(line.message).toBe(`step-3-process: working on task ${taskId}`);
    await finishedJob(api, job.id);
    // Every line is written before the job records its result.
    const lines = await api.job.logs({ id: job.id });
    // Written early, never twice.
    expect(lines.filter((l) => l.stepName === "step-3-process")).toHaveLength(1);
    expect(lines).toHaveLength(5);
  }, 60_000);

  it("refuses a malformed query with a 400 naming the problem", async () => {
    const api = stack.caller(`org_${hex()}`);
    await expect(api.run.logs({ q: "level:loud" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: /level: "loud" is not debug/ });
    await expect(api.run.logs({ q: "level:" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: /level: needs a value/ });
    await expect(api.run.logs({ q: "x", cursor: "abc" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    // Operators of a tsquery are words here, never a syntax error.
    await expect(api.run.logs({ q: "a & | ! ( ' :*" })).resolves.toMatchObject({ lines: [] });
  });

  it("keeps at most 1,000 lines or 256 KB per step attempt, then one truncated line", async () => {
    const { LogBuffer } = await import("../../server/services/logs/log-buffer.js");
    const runId = `run${hex()}`;
    const buffer = new LogBuffer({ orgId: `org_${hex()}`, jobId: null, runId, functionId: "jobdeck-test" });
    const many = { stepId: "many", stepName: "many", attempt: 0 };
    for (let i = 0; i < 1_500; i++) buffer.add(many, "info", [`line ${i}`]);
    const big = { stepId: "big", stepName: "big", attempt: 0 };
    for (let i = 0; i < 100; i++) buffer.add(big, "info", ["x".repeat(10_000)]);
    // Another attempt of the same step has its own allowance.
    buffer.add({ ...many, attempt: 1 }, "warn", ["second attempt", { n: 1 }]);
    await buffer.flush();
    const rows = await stack.db().stepLog.findMany({ where: { runId }, orderBy: { id: "asc" } });
    const of = (stepId: string, attempt = 0) => rows.filter((r) => r.stepId === stepId && r.attempt === attempt);
    expect(of("many")).toHaveLength(1_001);
    expect(of("many").at(-1)?.message).toMatch(/^truncated: this step attempt logged more than 1000 lines/);
    expect(of("big")).toHaveLength(26 + 1);
    expect(of("big").at(-1)?.message).toMatch(/more than 256 KB/);
    expect(
      of("big")
        .slice(0, -1)
        .reduce((n, r) => n + Buffer.byteLength(r.message), 0),
    ).toBeLessThanOrEqual(256 * 1024);
    expect(of("many", 1).map((r) => r.message)).toEqual(["second attempt { n: 1 }"]);
  });

  it("searches 100k lines through the full-text index (the plan, not the clock)", async () => {
    const org = `org_${hex()}`;
    await stack.db().$executeRawUnsafe(
      `INSERT INTO "StepLog" ("orgId", "runId", "functionId", "stepName", "level", "message", "at")
       SELECT $1, 'run' || (g % 500), 'jobdeck-demo-task', 'step-' || (g % 5), CASE WHEN g % 97 = 0 THEN 'error' ELSE 'info' END,
              'delivered order ' || g || ' to customer' || (g % 1000) || '@example.com in ' || (g % 300) || ' ms',
              now() - (g || ' seconds')::interval
         FROM generate_series(1, 100000) AS g`,
      org,
    );
    await stack.db().$executeRawUnsafe(`ANALYZE "StepLog"`);
    const { logSearchSql, parseLogQuery } = await import("../../server/services/logs/search-logs.js");
    const sql = logSearchSql({ orgId: org, userId: "u" }, false, parseLogQuery("level:error customer42@example.com"), undefined, 100);
    const plan = (await stack.db().$queryRawUnsafe<Array<{ "QUERY PLAN": string }>>(`EXPLAIN ${sql.text}`, ...sql.values))
      .map((r) => r["QUERY PLAN"])
      .join("\n");
    expect(plan).toContain("StepLog_searchVector_idx");
    expect(plan).not.toMatch(/Seq Scan on "StepLog"/);
    const api = stack.caller(org);
    const hits = await api.run.logs({ q: "level:error customer42@example.com", limit: 200 });
    // g ≡ 42 (mod 1000) and g ≡ 0 (mod 97): 100000 / 97000 → one or two; check against the data itself.
    const expected = Array.from({ length: 100_000 }, (_, i) => i + 1).filter((g) => g % 1000 === 42 && g % 97 === 0).length;
    expect(hits.lines).toHaveLength(expected);
    expect(hits.lines.every((l) => l.level === "error" && l.message.includes("customer42@example.com"))).toBe(true);
    const page = await api.run.logs({ q: "customer42@example.com", limit: 30 });
    expect(page.lines).toHaveLength(30);
    const next = await api.run.logs({ q: "customer42@example.com", limit: 30, cursor: page.cursor ?? undefined });
    expect(next.lines).toHaveLength(30);
    expect(BigInt(next.lines[0]?.id ?? 0)).toBeLessThan(BigInt(page.lines.at(-1)?.id ?? 0));
  }, 120_000);
});

describe("runs explorer", () => {
  it("lists an organization's runs only, finds them by text, and links each to its job", async () => {
    const org = `org_${hex()}`;
    const api = stack.caller(org);
    const taskId = `find${hex()}`;
    const { job } = await api.job.create({ type: "demo-task", payload: { taskId } });
    await finishedJob(api, job.id);
    // The job records its result before the engine ends the run.
    const mine = await until("the run completed", async () => {
      const l = await api.run.list({ q: taskId });
      return l.runs[0]?.status === "Completed" && l;
    });
    expect(mine.runs).toHaveLength(1);
    expect(mine.runs[0]).toMatchObject({ function_id: "jobdeck-demo-task", status: "Completed", job_id: job.id });
    const other = stack.caller(`org_${hex()}`);
    expect((await other.run.list({ q: taskId })).runs).toEqual([]);
    await expect(other.run.byId({ runId: mine.runs[0]?.run_id as string })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // The run page: trace, event, job and logs.
    const run = await api.run.byId({ runId: mine.runs[0]?.run_id as string });
    expect(run.job_id).toBe(job.id);
    expect(run.events[0]?.data?.taskId).toBe(taskId);
    expect(run.steps.filter((s) => s.kind === "step").map((s) => s.name)).toContain("step-3-process");
    expect(run.logs).toHaveLength(5);
    // An operator sees every run, a cron's too.
    const ops = stack.caller(org, OPERATOR);
    expect((await ops.run.list({ q: taskId })).runs).toHaveLength(1);
    await expect(api.run.list({ functionId: "bad id!" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(api.run.byId({ runId: "../functions" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  }, 60_000);
});

describe("replay and rerun", () => {
  it("replays a job with an edited payload as a new job, refusing a payload its schema rejects", async () => {
    const org = `org_${hex()}`;
    const api = stack.caller(org);
    const { job } = await api.job.create({ type: "demo-task", payload: { taskId: `r${hex()}`, simulateFailure: true, failAtStep: 2 } });
    await stack.engineApi("/v1/functions"); // the engine answers
    await expect(api.job.replay({ id: job.id, payload: { delayMs: "soon" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: /payload\.delayMs/,
    });
    // A key demo-task does not define is refused field by field, not dropped: at replay, at create, in a batch.
    const unknown = { taskId: "edited", bogus: 1, delaySeconds: 5 };
    await expect(api.job.replay({ id: job.id, payload: unknown })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/payload\.bogus: unknown field.*payload\.delaySeconds: unknown field/),
    });
    await expect(api.job.create({ type: "demo-task", payload: unknown as never })).rejects.toMatchObject({
      message: /payload\.bogus: unknown field/,
    });
    await expect(api.job.createMany({ items: [{ type: "demo-task", payload: unknown }] })).rejects.toMatchObject({
      message: /items\[0\]\.payload\.bogus: unknown field/,
    });
    const { job: replay } = await api.job.replay({ id: job.id, payload: { taskId: "edited" } });
    expect(replay.id).not.toBe(job.id);
    expect(replay.replayOfId).toBe(job.id);
    const done = await finishedJob(api, replay.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.payload).toEqual({ taskId: "edited" });
    expect((await api.job.byId({ id: job.id })).replays.map((r) => r.id)).toEqual([replay.id]);
  }, 90_000);

  it("reruns a failed job from step 3: steps 1-2 are not executed again, step 3 onward is", async () => {
    const org = `org_${hex()}`;
    const api = stack.caller(org);
    const failUntil = new Date(Date.now() + 4_000).toISOString();
    const { job } = await api.job.create({
      type: "demo-task",
      payload: { taskId: `s${hex()}`, simulateFailure: true, failAtStep: 3, failUntil },
    });
    // The stack's engine retries after 50 ms, so every attempt fails well inside the outage.
    const failed = await finishedJob(api, job.id);
    expect(failed.status).toBe("FAILED");
    await until("the outage is over", async () => Date.now() > Date.parse(failUntil));
    await expect(api.job.rerunFromStep({ id: job.id, fromStep: "step-9-nothing" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect((await api.job.byId({ id: job.id })).status).toBe(failed.status);
    const { runId } = await api.job.rerunFromStep({ id: job.id, fromStep: "step-3-process" });
    const done = await finishedJob(api, job.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.runId).toBe(runId);
    const executed = done.steps.filter((s) => s.runId === runId).map((s) => s.name);
    expect(executed).toEqual(["step-3-process", "step-4-persist", "step-5-finalize"]);
    expect((done.result as { results: Record<string, unknown> }).results["step-1-initialize"]).toBeTruthy();
    // Its queue latency is from the rerun, not from the attempt's start event seconds earlier; the overview's
    // percentiles are over the window's jobs (here the one).
    const row = await stack.db().job.findUniqueOrThrow({ where: { id: job.id } });
    const event = await stack.db().outboxEvent.findUniqueOrThrow({ where: { id: row.eventId as string } });
    const started = (row.startedAt as Date).getTime();
    expect(row.queuedAt).not.toBeNull();
    expect(started - event.createdAt.getTime()).toBeGreaterThan(3_500);
    const latency = await api.job.latency({ minutes: 15 });
    expect(latency.started).toBe(1);
    expect(latency.p50Ms).toBe(latency.p95Ms);
    expect(latency.p50Ms).toBeLessThanOrEqual(started - (row.queuedAt as Date).getTime() + 1);
    expect(latency.p50Ms).toBeLessThan(started - event.createdAt.getTime() - 2_500);
  }, 120_000);

  it("replays a filter's failed runs after a preview of how many, within the organization", async () => {
    const org = `org_${hex()}`;
    const api = stack.caller(org);
    const tag = `bulk${hex()}`;
    const failing = await Promise.all(
      [1, 2].map((i) => api.job.create({ type: "demo-task", payload: { taskId: `${tag}-${i}`, simulateFailure: true, failAtStep: 1 } })),
    );
    const ok = await api.job.create({ type: "demo-task", payload: { taskId: `${tag}-ok` } });
    for (const { job } of [...failing, ok]) await finishedJob(api, job.id);
    await until("the engine ended the failed runs", async () => (await api.run.list({ q: tag, status: ["failed"] })).runs.length === 2);
    const preview = await api.run.replayFailed({ q: tag, preview: true });
    expect(preview).toEqual({ matched: 2, toReplay: 2, replayed: 0, skipped: [], capped: false });
    expect(await stack.caller(`org_${hex()}`).run.replayFailed({ q: tag, preview: true })).toMatchObject({ matched: 0 });
    const done = await api.run.replayFailed({ q: tag });
    expect(done).toMatchObject({ matched: 2, toReplay: 2, replayed: 2 });
    const replays = await stack.db().job.findMany({ where: { orgId: org, replayOfId: { in: failing.map((f) => f.job.id) } } });
    expect(replays).toHaveLength(2);
  }, 90_000);

  it("replays a failed job once however many of its runs failed, never twice, and says why it skips", async () => {
    const org = `org_${hex()}`;
    const api = stack.caller(org);
    const tag = `once${hex()}`;
    const { job } = await api.job.create({ type: "demo-task", payload: { taskId: tag, simulateFailure: true, failAtStep: 1 } });
    // Three failed runs of one job: the first attempt and two retries.
    for (let retry = 0; retry < 3; retry++) {
      await finishedJob(api, job.id);
      if (retry < 2) await api.job.retry({ id: job.id });
    }
    await until("three failed runs", async () => (await api.run.list({ q: tag, status: ["failed"] })).runs.length === 3);
    // A second failed job, retried and still running: skipped, with its reason.
    const slow = await api.job.create({
      type: "demo-task",
      payload: { taskId: `${tag}-slow`, simulateFailure: true, failAtStep: 3, delayMs: 200 },
    });
    await finishedJob(api, slow.job.id);
    await until("four failed runs", async () => (await api.run.list({ q: tag, status: ["failed"] })).runs.length === 4);
    // As if retried a moment ago (a real retry would start and fail again on its own): its job is QUEUED.
    await stack.db().job.update({ where: { id: slow.job.id }, data: { status: "QUEUED" } });

    const preview = await api.run.replayFailed({ q: tag, preview: true });
    expect(preview.matched).toBe(4);
    expect(preview.toReplay).toBe(1);
    expect(preview.skipped.map((s) => s.reason).sort()).toEqual([
      "an earlier attempt of a job this replay replays once",
      "an earlier attempt of a job this replay replays once",
      "its job was retried and is QUEUED now (attempt 1)",
    ]);
    // A double click: two replays at once make one new job.
    const [a, b] = await Promise.all([api.run.replayFailed({ q: tag }), api.run.replayFailed({ q: tag })]);
    expect(a.replayed + b.replayed).toBe(preview.toReplay);
    const replays = await stack.db().job.findMany({ where: { orgId: org, replayOfId: job.id } });
    expect(replays).toHaveLength(1);
    // Replayed already: the next bulk replay skips it, naming the replay.
    const again = await api.run.replayFailed({ q: tag, preview: true });
    expect(again.toReplay).toBe(0);
    expect(again.skipped.filter((s) => s.jobId === job.id).map((s) => s.reason)).toContain(
      `its job was already replayed as job ${replays[0]?.id}`,
    );
    expect((await api.run.replayFailed({ q: tag })).replayed).toBe(0);
    expect(await stack.db().job.count({ where: { orgId: org, replayOfId: { not: null } } })).toBe(1);
  }, 120_000);

  it("counts a retried job's queue latency from the retry's own start event, not from the job's creation", async () => {
    const org = `org_${hex()}`;
    const api = stack.caller(org);
    const { job } = await api.job.create({ type: "demo-task", payload: { taskId: `lat${hex()}`, simulateFailure: true, failAtStep: 1 } });
    await finishedJob(api, job.id);
    await new Promise((r) => setTimeout(r, 2_000));
    await api.job.retry({ id: job.id });
    await finishedJob(api, job.id);
    const row = await stack.db().job.findUniqueOrThrow({ where: { id: job.id } });
    const event = await stack.db().outboxEvent.findUniqueOrThrow({ where: { id: row.eventId as string } });
    const { aggregateQueueStats } = await import("../../server/services/stats/aggregate-queue-stats.js");
    await aggregateQueueStats({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000), orgId: org });
    const [stat] = await stack.db().queueStat.findMany({ where: { orgId: org, started: { gt: 0 } } });
    const sinceEvent = (row.startedAt as Date).getTime() - event.createdAt.getTime();
    const sinceCreation = (row.startedAt as Date).getTime() - row.createdAt.getTime();
    expect(sinceCreation).toBeGreaterThan(2_000);
    expect(stat?.p50LatencyMs).toBeLessThanOrEqual(sinceEvent + 1);
    expect(stat?.p50LatencyMs).toBeLessThan(sinceCreation - 1_500);
  }, 90_000);
});
