import { describe, expect, it } from "vitest";
import { test as celTest, evaluate, evaluateKey } from "../../src/expr/cel.js";
import { flowKey } from "../../src/flow/flow-state.js";
import { ManualClock } from "../support/manual-clock.js";

/** expr/cel.ts: CEL as Inngest evaluates it, on the engine's clock. */

describe("CEL with Inngest's loosening", () => {
  const event = { name: "a/b", data: { n: 5, s: "x", user: { id: "u1" } } };
  const now = Date.parse("2030-01-01T00:00:00Z");
  it("reads missing keys as null and keeps has() exact", () => {
    expect(celTest("event.data.missing == null", { event }, now)).toBe(true);
    expect(celTest("has(event.data.missing)", { event }, now)).toBe(false);
    expect(celTest("event.data.n > 3 && event.data.s == 'x'", { event }, now)).toBe(true);
  });
  it("mixes ints and doubles and renders keys like %v", () => {
    expect(evaluate("event.data.n + 1", { event }, now)).toBe(6);
    expect(evaluate("event.data.n > 3 ? 600 : -600", { event }, now)).toBe(600);
    expect(evaluateKey("event.data.user.id", { event }, now)).toBe("u1");
    expect(evaluateKey("event.data.n", { event }, now)).toBe("5");
  });
  it("treats an invalid expression as no match", () => {
    expect(celTest("event.data.n ==", { event }, now)).toBe(false);
  });
});

describe("now() reads the engine's clock", () => {
  /** An `if` as a function might write it: the event's deadline (epoch ms) has passed. */
  const overdue = "now() > int(event.data.deadline) * 1000000";

  it("answers the time the engine evaluates at, in nanoseconds, with now_plus and now_minus around it", () => {
    const clock = new ManualClock();
    const t = clock.now();
    expect(evaluate("now()", {}, t)).toBe(t * 1e6);
    expect(evaluate("now_plus('1h')", {}, t)).toBe((t + 3_600_000) * 1e6);
    expect(evaluate("now_minus('30s')", {}, t)).toBe((t - 30_000) * 1e6);
  });

  it("lets a test clock reach an `if` that uses now(): the same event matches once the clock has passed its deadline", () => {
    const clock = new ManualClock();
    const event = { name: "invoice/due", data: { deadline: clock.now() + 3_600_000 } };
    expect(celTest(overdue, { event }, clock.now())).toBe(false);
    clock.advance(3_600_001);
    expect(celTest(overdue, { event }, clock.now())).toBe(true);
    // Not the machine's time: a clock an hour behind it still says not yet.
    expect(celTest(overdue, { event: { name: "x", data: { deadline: Date.now() - 1000 } } }, Date.now() - 3_600_000)).toBe(false);
  });

  it("keys flow control by the engine's time too (a key per window of the clock)", () => {
    const clock = new ManualClock(Date.parse("2030-01-01T00:00:00Z"));
    const key = "string(now() / 3600000000000)"; // the hour, as a key
    const first = flowKey("app-f", key, {}, clock.now());
    expect(flowKey("app-f", key, {}, clock.now() + 1000)).toBe(first);
    clock.advance(3_600_000);
    expect(flowKey("app-f", key, {}, clock.now())).not.toBe(first);
  });

  it("gives each evaluation its own time", () => {
    expect(evaluate("now() == now()", {}, 1)).toBe(true);
    expect(evaluate("now()", {}, 2)).toBe(2e6);
  });
});
