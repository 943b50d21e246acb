import { randomBytes } from "node:crypto";
import { until } from "@jobdeck/test-kit";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, startAppStack } from "../support/app-stack.js";

/**
 * The job service through tRPC createCaller, on a real database with the real engine running the app's functions:
 * validation, idempotency, the per-organization limit, isolation between organizations, listing, retry, cancel.
 */
let stack: AppStack;
const org = () => `org_${randomBytes(4).toString("hex")}`;

async function rejection(p: Promise<unknown>): Promise<TRPCError & { cause?: { details?: Array<{ path: string }> } }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err as TRPCError & { cause?: { details?: Array<{ path: string }> } };
    throw err;
  }
  throw new Error("expected a rejection");
}

beforeAll(async () => {
  stack = await startAppStack({ JOBS_MAX_ACTIVE_PER_ORG: "3" });
});

afterAll(async () => {
  await stack?.stop();
});

describe("job.create", () => {
  it("rejects bad input with 400 and the field that is wrong", async () => {
    const api = stack.caller(org());
    const unknownType = await rejection(api.job.create({ type: "nope", payload: {} } as never));
    expect(unknownType.code).toBe("BAD_REQUEST");
    expect(unknownType.message).toContain('unknown job type "nope"');
    expect(unknownType.cause?.details?.map((d) => d.path)).toEqual(["type"]);

    const badPayload = await rejection(api.job.create({ type: "demo-task", payload: { delayMs: 99_999, failAtStep: 9 } }));
    expect(badPayload.code).toBe("BAD_REQUEST");
    expect(badPayload.cause?.details?.map((d) => d.path).sort()).toEqual(["payload.delayMs", "payload.failAtStep"]);

    const badPriority = await rejection(api.job.create({ type: "demo-task", payload: {}, priority: 601 }));
    expect(badPriority.code).toBe("BAD_REQUEST");
    expect(await stack.db().job.count()).toBe(0); // nothing half-written
  });

  it("returns the existing job for a repeated idempotency key, per organization", async () => {
    const a = stack.caller(org());
    const first = await a.job.create({ type: "demo-task", payload: {}, idempotencyKey: "order-42" });
    const again = await a.job.create({ type: "demo-task", payload: { delayMs: 5 }, idempotencyKey: "order-42" });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.job.id).toBe(first.job.id);
    const other = await stack.caller(org()).job.create({ type: "demo-task", payload: {}, idempotencyKey: "order-42" });
    expect(other.created).toBe(true);
    expect(other.job.id).not.toBe(first.job.id);
    // A taskId implies the key, so the same task is not created twice either.
    const t1 = await a.job.create({ type: "demo-task", payload: { taskId: "nightly" } });
    const t2 = await a.job.create({ type: "demo-task", payload: { taskId: "nightly" } });
    expect(t2.job.id).toBe(t1.job.id);
  });

  it("answers with the job as the create statement wrote it, without reading it back", async () => {
    const { toJobView } = await import("../../server/services/jobs/job-view.js");
    // With the engine away nothing moves the job on, so the row read back is the row as created.
    await stack.stopEngine();
    try {
      const made = await stack.caller(org(), "user_view").job.create({
        type: "demo-task",
        payload: { delayMs: 5, taskId: "view-zürich-✓" },
        priority: 70,
        tags: ["nightly", "eu"],
      });
      expect(made.created).toBe(true);
      const row = await stack.db().job.findUniqueOrThrow({ where: { id: made.job.id } });
      expect(made.job).toEqual(toJobView(row));
      expect(made.job).toMatchObject({ status: "QUEUED", createdBy: "user_view", idempotencyKey: "demo-task:view-zürich-✓", attempt: 1 });
    } finally {
      await stack.restartEngine();
    }
  });

  it("allows at most JOBS_MAX_ACTIVE_PER_ORG active jobs per organization, then 429", async () => {
    const orgId = org();
    const api = stack.caller(orgId);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await api.job.create({ type: "demo-task", payload: { delayMs: 20_000 } })).job.id);
    const limited = await rejection(api.job.create({ type: "demo-task", payload: {} }));
    expect(limited.code).toBe("TOO_MANY_REQUESTS");
    expect(limited.message).toContain("the limit is 3");
    // Other organizations are not affected, and a cancel frees a slot.
    expect((await stack.caller(org()).job.create({ type: "demo-task", payload: {} })).created).toBe(true);
    await api.job.cancel({ id: ids[0] as string });
    expect((await api.job.create({ type: "demo-task", payload: {} })).created).toBe(true);
    for (const id of ids.slice(1)) await api.job.cancel({ id });
  });
});

describe("organization scoping", () => {
  it("never shows or touches another organization's job: 404, not 403", async () => {
    const mine = stack.caller(org());
    const theirs = stack.caller(org());
    const { job } = await mine.job.create({ type: "demo-task", payload: { delayMs: 10 } });
    // Called one at a time: a rejection never waits unobserved.
    for (const call of [
      () => theirs.job.byId({ id: job.id }),
      () => theirs.job.status({ id: job.id }),
      () => theirs.job.cancel({ id: job.id }),
      () => theirs.job.retry({ id: job.id }),
    ]) {
      const err = await rejection(call());
      expect(err.code).toBe("NOT_FOUND");
    }
    expect((await theirs.job.list()).items).toEqual([]);
    expect((await mine.job.byId({ id: job.id })).id).toBe(job.id);
    expect((await rejection(mine.job.byId({ id: "not-a-uuid" }))).code).toBe("NOT_FOUND");
  });

  it("refuses anonymous callers", async () => {
    expect((await rejection(stack.anonymous().job.list())).code).toBe("UNAUTHORIZED");
  });

  it("puts a user without an organization in a personal workspace", async () => {
    const alone = stack.caller(null, "user_alone");
    const { job } = await alone.job.create({ type: "demo-task", payload: {} });
    const row = await stack.db().job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.orgId).toBe("personal:user_alone");
  });
});

describe("job.list", () => {
  it("filters by status, type, payload text and time, newest first, with a cursor that never skips", async () => {
    const api = stack.caller(org());
    const made: string[] = [];
    for (const taskId of ["alpha-1", "beta-2", "alpha-3"]) {
      made.push((await api.job.create({ type: "demo-task", payload: { taskId } })).job.id);
      if (made.length === 2) await api.job.cancel({ id: made[1] as string });
    }
    const all = await api.job.list({ limit: 100 });
    expect(all.items.map((j) => j.id)).toEqual([...made].reverse());

    expect((await api.job.list({ q: "ALPHA" })).items.map((j) => j.id)).toEqual([made[2], made[0]]);
    expect((await api.job.list({ status: "CANCELLED" })).items.map((j) => j.id)).toEqual([made[1]]);
    expect((await api.job.list({ type: "other" })).items).toEqual([]);
    expect((await api.job.list({ status: [] })).items).toEqual([]);
    expect(await api.job.count({ status: [] })).toEqual({ count: 0, capped: false });
    const created1 = new Date((all.items.find((j) => j.id === made[1]) as { createdAt: string }).createdAt);
    expect((await api.job.list({ createdFrom: created1, createdTo: created1 })).items.map((j) => j.id)).toEqual([made[1]]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.job.list({ limit: 2, cursor });
      seen.push(...page.items.map((j) => j.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());

    expect((await rejection(api.job.list({ limit: 101 }))).code).toBe("BAD_REQUEST");
    expect((await rejection(api.job.list({ cursor: "garbage" }))).code).toBe("BAD_REQUEST");
  });

  it("searches payload words and word prefixes; punctuation is never a pattern", async () => {
    const api = stack.caller(org());
    const percent = (await api.job.create({ type: "demo-task", payload: { taskId: "discount-100%" } })).job.id;
    const underscore = (await api.job.create({ type: "demo-task", payload: { taskId: "snake_case" } })).job.id;
    await api.job.create({ type: "demo-task", payload: { taskId: "plain" } });
    expect((await api.job.list({ q: "discount" })).items.map((j) => j.id)).toEqual([percent]);
    expect((await api.job.list({ q: "SNAKE" })).items.map((j) => j.id)).toEqual([underscore]);
    expect((await api.job.list({ q: "sna" })).items.map((j) => j.id)).toEqual([underscore]);
    expect((await api.job.list({ q: "snake case" })).items.map((j) => j.id)).toEqual([underscore]);
    expect((await api.job.list({ q: "discount-1" })).items.map((j) => j.id)).toEqual([percent]);
    expect((await api.job.list({ q: "plain snake" })).items).toEqual([]);
    expect((await api.job.list({ q: "a:* | !b & (c" })).items).toEqual([]);
    expect(await api.job.count({ q: "snake" })).toEqual({ count: 1, capped: false });
    // Nothing to search for is a 400 that says so, not "everything" and not a database error.
    const nothing = await rejection(api.job.list({ q: "%_" }));
    expect(nothing.code).toBe("BAD_REQUEST");
    expect(nothing.message).toContain("letter or digit");
  });
});

describe("running jobs", () => {
  it("runs a demo task to COMPLETED with five step rows, and reports its status", async () => {
    const api = stack.caller(org());
    const { job } = await api.job.create({ type: "demo-task", payload: { delayMs: 200 } });
    const done = await until("COMPLETED", async () => {
      const s = await api.job.status({ id: job.id });
      return s.status === "COMPLETED" && s;
    });
    expect(done.stepsCompleted).toBe(5);
    expect(done.durationMs).toBeGreaterThanOrEqual(200);
    const detail = await api.job.byId({ id: job.id });
    expect(detail.steps.filter((s) => s.kind === "RUN").map((s) => [s.name, s.status])).toEqual([
      ["step-1-initialize", "COMPLETED"],
      ["step-2-validate", "COMPLETED"],
      ["step-3-process", "COMPLETED"],
      ["step-4-persist", "COMPLETED"],
      ["step-5-finalize", "COMPLETED"],
    ]);
    expect(detail.steps.find((s) => s.name === "step-3-process")?.durationMs).toBeGreaterThanOrEqual(190);
    expect(detail.result).toMatchObject({ taskId: job.id, steps: 5 });
    expect(detail.startedAt).not.toBeNull();
    expect(detail.runId).toMatch(/^[0-9A-Z]{26}$/);
  });

  it("retries a failing step with backoff, then marks the job FAILED with the error; retry starts a new attempt", async () => {
    const api = stack.caller(org());
    const { job } = await api.job.create({ type: "demo-task", payload: { simulateFailure: true, failAtStep: 2 } });
    const failed = await until("FAILED", async () => {
      const j = await api.job.byId({ id: job.id });
      return j.status === "FAILED" && j;
    });
    expect(failed.error).toMatchObject({ message: expect.stringContaining("simulated failure at step 2") });
    expect(failed.steps.filter((s) => s.name === "step-2-validate").map((s) => s.status)).toEqual([
      "ERRORED",
      "ERRORED",
      "ERRORED",
      "FAILED",
    ]);
    expect(failed.steps.filter((s) => s.name === "step-1-initialize")).toHaveLength(1);
    expect((await api.job.stats()).jobs.unacknowledgedFailures).toBe(1);

    const retried = await api.job.retry({ id: job.id });
    expect(retried).toMatchObject({ status: "QUEUED", attempt: 2, error: null });
    await until("FAILED again", async () => (await api.job.status({ id: job.id })).status === "FAILED");
    const again = await api.job.byId({ id: job.id });
    expect(new Set(again.steps.map((s) => s.runId)).size).toBe(2); // the old attempt's steps stay as history
    expect((await rejection(api.job.retry({ id: (await api.job.create({ type: "demo-task", payload: {} })).job.id }))).code).toBe(
      "CONFLICT",
    );
    expect((await api.job.acknowledge({ ids: [job.id] })).acknowledged).toBe(1);
    expect((await api.job.stats()).jobs).toMatchObject({ failed: 1, unacknowledgedFailures: 0 });
  });

  it("a late outcome of an earlier attempt's run does not change the retry that followed it", async () => {
    const { jobRefOf, recordFailed, recordCompleted } = await import("../../server/services/jobs/record-progress.js");
    const orgId = org();
    const api = stack.caller(orgId);
    const { job } = await api.job.create({ type: "demo-task", payload: {} });
    const row = await stack.db().job.findUniqueOrThrow({ where: { id: job.id } });
    const first = await stack.db().outboxEvent.findUniqueOrThrow({ where: { id: row.eventId ?? "" } });
    const ref = jobRefOf(first.data);
    expect(ref).toEqual({ jobId: job.id, orgId, attempt: 1 });
    await api.job.cancel({ id: job.id });
    await api.job.retry({ id: job.id });
    // Attempt 1's run reports its end after the retry: attempt 2 is not touched.
    await recordFailed(ref as NonNullable<typeof ref>, new Error("late"));
    await recordCompleted(ref as NonNullable<typeof ref>, { late: true });
    const now = await api.job.byId({ id: job.id });
    expect(now.attempt).toBe(2);
    expect(now.status).not.toBe("FAILED");
    expect(now.result).not.toEqual({ late: true });
  });

  it("cancels a running job: CANCELLED at once, and the run stops before its next step", async () => {
    const api = stack.caller(org());
    const { job } = await api.job.create({ type: "demo-task", payload: { delayMs: 1500 } });
    await until("step 3 running", async () =>
      (await api.job.byId({ id: job.id })).steps.some((s) => s.name === "step-3-process" && s.status === "RUNNING"),
    );
    // The step in flight finishes after the cancel; what matters is that nothing runs after it.
    const runId = (await api.job.byId({ id: job.id })).runId;
    const settled = stack.engine.events.waitFor("item.settled", ({ item }) => item.runId === runId && item.kind === "exec", 30_000);
    const cancelled = await api.job.cancel({ id: job.id });
    expect(cancelled.status).toBe("CANCELLED");
    const run = await until("engine run cancelled", async () => {
      const res = await stack.engineApi(`/v1/runs/${cancelled.runId}`);
      const body = (await res.json()) as { data: { status: string } };
      return body.data.status === "Cancelled" && body.data;
    });
    expect(run.status).toBe("Cancelled");
    await settled;
    const after = await api.job.byId({ id: job.id });
    expect(after.status).toBe("CANCELLED");
    expect(after.steps.map((s) => s.name)).not.toContain("step-4-persist");
    expect((await rejection(api.job.cancel({ id: job.id }))).code).toBe("CONFLICT");
  });

  it("cancels a sleeping job: the parked run is cancelled and its open sleep ends CANCELLED", async () => {
    const api = stack.caller(org());
    const { job } = await api.job.create({ type: "demo-task", payload: { sleepFor: "1h" } });
    const asleep = await until("sleeping", async () => {
      const j = await api.job.byId({ id: job.id });
      return j.status === "WAITING" && j.steps.some((s) => s.kind === "SLEEP" && s.status === "RUNNING") ? j : undefined;
    });
    expect(asleep.steps.filter((s) => s.kind === "RUN").map((s) => s.name)).toEqual(["step-1-initialize", "step-2-validate"]);
    // Past the delay after which a running request marks its job RUNNING: the parked job stays WAITING.
    await new Promise((r) => setTimeout(r, 600));
    expect((await api.job.status({ id: job.id })).status).toBe("WAITING");
    await api.job.cancel({ id: job.id });
    const run = await until("engine run cancelled", async () => {
      const res = await stack.engineApi(`/v1/runs/${asleep.runId}`);
      const body = (await res.json()) as { data: { status: string } };
      return body.data.status === "Cancelled" && body.data;
    });
    expect(run.status).toBe("Cancelled");
    const after = await api.job.byId({ id: job.id });
    expect(after.status).toBe("CANCELLED");
    const sleep = after.steps.find((s) => s.kind === "SLEEP");
    expect(sleep).toMatchObject({ name: "sleep-before-step-3", status: "CANCELLED" });
    expect(sleep?.finishedAt).not.toBeNull();
  });
});

describe("job.bulk", () => {
  it("retries, cancels and acknowledges many jobs by ids or by filter, reporting what it skipped and why", async () => {
    const api = stack.caller(org());
    const failing = { type: "demo-task", payload: { simulateFailure: true, failAtStep: 1 } } as const;
    const f1 = (await api.job.create(failing)).job.id;
    const f2 = (await api.job.create(failing)).job.id;
    const sleeper = (await api.job.create({ type: "demo-task", payload: { sleepFor: "1h" } })).job.id;
    const foreign = (await stack.caller(org()).job.create({ type: "demo-task", payload: {} })).job.id;
    for (const id of [f1, f2]) await until(`${id} FAILED`, async () => (await api.job.status({ id })).status === "FAILED");

    const byIds = await api.job.bulk({ action: "acknowledge", ids: [f1, sleeper, foreign, "not-a-uuid"] });
    expect(byIds).toMatchObject({ action: "acknowledge", matched: 4, done: 1 });
    expect(byIds.skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/is (QUEUED|RUNNING|WAITING), not FAILED/),
      `no job with id "${foreign}"`,
      'no job with id "not-a-uuid"',
    ]);
    // The single-job door answers 404 for an id that is not this organization's job, malformed or not, and
    // acknowledges nothing then.
    for (const bad of [foreign, "not-a-uuid"]) expect((await rejection(api.job.acknowledge({ ids: [f2, bad] }))).code).toBe("NOT_FOUND");
    const byFilter = await api.job.bulk({ action: "acknowledge", filter: { status: ["FAILED"] } });
    expect(byFilter).toMatchObject({ matched: 1, done: 1, skipped: [] });
    expect((await api.job.stats()).jobs.unacknowledgedFailures).toBe(0);

    // "Everything matching" only takes the jobs the action applies to: the one active job here.
    const cancelled = await api.job.bulk({ action: "cancel", filter: { type: "demo-task" } });
    expect(cancelled).toMatchObject({ action: "cancel", matched: 1, done: 1 });
    expect((await api.job.status({ id: sleeper })).status).toBe("CANCELLED");

    const retried = await api.job.bulk({ action: "retry", ids: [f1, f2, foreign] });
    expect(retried).toMatchObject({ matched: 3, done: 2 });
    expect(retried.skipped).toEqual([{ id: foreign, reason: `no job with id "${foreign}"` }]);
    for (const id of [f1, f2]) expect((await api.job.byId({ id })).attempt).toBe(2);

    expect((await rejection(api.job.bulk({ action: "retry" }))).code).toBe("BAD_REQUEST");
    expect((await rejection(api.job.bulk({ action: "retry", ids: [f1], filter: {} }))).code).toBe("BAD_REQUEST");
    expect((await rejection(api.job.bulk({ action: "explode" as "retry", ids: [f1] }))).code).toBe("BAD_REQUEST");
  });
});
