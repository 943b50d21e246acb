import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { demoTask } from "../../jobs/demo-task.js";
import { type CreateJobInput, createJobInput, jobContracts, type PayloadOf } from "../../jobs/index.js";
import { AppError } from "../../server/errors.js";
import { scopeOf } from "../../server/identity.js";
import { errorView, storedErrorView, truncateJson } from "../../server/services/jobs/stored-values.js";
import { relayBackoffMs } from "../../server/services/outbox/relay-outbox.js";

describe("job helpers", () => {
  it("offers an example payload per job type that its own create accepts (the console's forms prefill it)", () => {
    expect(jobContracts.length).toBeGreaterThan(5);
    for (const c of jobContracts) {
      const parsed = createJobInput.safeParse({
        type: c.type,
        payload: c.example,
        ...(c.requiresIdempotencyKey ? { idempotencyKey: "k" } : {}),
      });
      expect(parsed.success, `${c.type}: ${parsed.error?.message}`).toBe(true);
    }
  });

  it("scopes a user without an organization to a personal workspace, and refuses no identity with 401", () => {
    expect(scopeOf({ userId: "u1", orgId: "o1", orgRole: null, source: "clerk" })).toEqual({ orgId: "o1", userId: "u1", role: "viewer" });
    expect(scopeOf({ userId: "u1", orgId: null, orgRole: null, source: "clerk" }).orgId).toBe("personal:u1");
    expect(() => scopeOf(null)).toThrow(AppError);
    try {
      scopeOf(null);
    } catch (err) {
      expect((err as AppError).httpStatus).toBe(401);
    }
  });

  it("cuts large step outputs to a preview and keeps small ones as they are", () => {
    expect(truncateJson({ a: 1 })).toEqual({ a: 1 });
    const big = truncateJson({ text: "x".repeat(20_000) }) as { truncated: boolean; length: number; preview: string };
    expect(big.truncated).toBe(true);
    expect(big.length).toBe(20_011);
    expect(big.preview).toHaveLength(8_000);
  });

  it("describes thrown values of any kind", () => {
    expect(errorView(new TypeError("bad"))).toMatchObject({ name: "TypeError", message: "bad" });
    expect(errorView({ name: "StepError", message: "m" })).toEqual({ name: "StepError", message: "m" });
    expect(errorView("plain")).toEqual({ name: "Error", message: "plain" });
  });

  it("shows any stored error as a name and a message", () => {
    expect(storedErrorView(null)).toBeNull();
    expect(storedErrorView({ name: "Cancelled", message: "by user" })).toEqual({ name: "Cancelled", message: "by user" });
    expect(storedErrorView({ name: "E", message: "m", stack: "at x" })).toEqual({ name: "E", message: "m", stack: "at x" });
    // A long error was stored as a preview; its text is still the message.
    expect(storedErrorView(truncateJson(errorView(new Error("x".repeat(9_000)))) as never)?.message).toMatch(
      /^\{"name":"Error","message":"xxx/,
    );
    expect(storedErrorView("plain")).toEqual({ name: "Error", message: "plain" });
    expect(storedErrorView([1, 2])).toEqual({ name: "Error", message: "[1,2]" });
  });

  it("backs off the outbox relay exponentially up to a minute", () => {
    expect([1, 2, 3, 4, 7, 20].map(relayBackoffMs)).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000]);
  });

  it("turns a demo-task payload into its event: job id as default taskId, force so retries are not dropped, and the attempt it starts", () => {
    const def = demoTask;
    const data = def.toEventData({ delayMs: 5 }, { id: "j1", orgId: "o1", createdBy: "u1", priority: 50, attempt: 2 });
    expect(data).toEqual({ delayMs: 5, taskId: "j1", jobId: "j1", orgId: "o1", priority: 50, force: true, jobAttempt: 2 });
    expect(def.impliedIdempotencyKey?.({ taskId: "t" })).toBe("demo-task:t");
    expect(def.impliedIdempotencyKey?.({ taskId: "t", force: true })).toBeUndefined();
    expect(def.payload.safeParse({ delayMs: 30_001 }).success).toBe(false);
    // job.types hands forms and clients the payload as JSON Schema.
    const schema = z.toJSONSchema(def.payload, { io: "input" }) as { properties: Record<string, { maximum?: number }> };
    expect(schema.properties.delayMs?.maximum).toBe(30_000);
  });
});

describe("rate-limit script", () => {
  it("counts the peak of overlapping intervals", async () => {
    const { peakOverlap } = await import("../../scripts/demo-rate-limit.js");
    expect(peakOverlap([])).toBe(0);
    expect(
      peakOverlap([
        [0, 10],
        [5, 15],
        [10, 20],
      ]),
    ).toBe(2); // an end and a start at the same instant do not overlap
    expect(
      peakOverlap([
        [0, 10],
        [1, 9],
        [2, 8],
      ]),
    ).toBe(3);
  });
});

describe("the job catalogue's typing", () => {
  it("types a create per job type at every door", () => {
    expectTypeOf<PayloadOf<"demo-task">>().toHaveProperty("delayMs").toEqualTypeOf<number | undefined>();
    expectTypeOf<PayloadOf<"deliver-webhook">>().toHaveProperty("url").toEqualTypeOf<string>();
    const ok: CreateJobInput = { type: "render-report", payload: { days: 3 } };
    // @ts-expect-error a payload field of another job type
    const wrongField: CreateJobInput = { type: "render-report", payload: { delayMs: 3 } };
    // @ts-expect-error a payload value of the wrong type
    const wrongValue: CreateJobInput = { type: "demo-task", payload: { delayMs: "soon" } };
    // @ts-expect-error a type that does not exist
    const unknownType: CreateJobInput = { type: "nope" };
    expect([ok, wrongField, wrongValue, unknownType]).toHaveLength(4);
    // And at run time the same union refuses them by field.
    const parsed = createJobInput.safeParse({ type: "demo-task", payload: { delayMs: "soon" } });
    expect(parsed.success ? [] : parsed.error.issues.map((i) => i.path.join("."))).toEqual(["payload.delayMs"]);
    expect(createJobInput.safeParse({ type: "nope" }).error?.issues[0]?.message).toMatch(
      /^unknown job type "nope"; known types: demo-task/,
    );
  });
});
