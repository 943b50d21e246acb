import { describe, expect, it } from "vitest";
import { FlowState, flowKey, fnOfKey, scopedKey } from "../../src/flow/flow-state.js";
import { gcra } from "../../src/flow/gcra.js";
import { throttleStart } from "../../src/flow/throttle.js";
import { defineFunction, Registry } from "../../src/registry.js";
import { Timers } from "../../src/sched/timers.js";
import type { QueueItem, StateRow } from "../../src/types.js";
import { ManualClock } from "../support/manual-clock.js";

/**
 * flow/: the arithmetic and memory behind throttle and rate limits (GCRA), flow state with its expiry and timers, and
 * the keys flow control buckets by. On a manual clock, with the journal reduced to the rows it is handed.
 */

describe("GCRA", () => {
  it("spaces throttled starts evenly after the burst", () => {
    const emission = 500;
    let tat: number | undefined;
    const r1 = gcra(tat, 0, emission, emission);
    expect(r1.allowed).toBe(true);
    tat = r1.tat;
    const r2 = gcra(tat, 10, emission, emission);
    expect(r2.allowed).toBe(false);
    expect(r2.allowAt).toBe(500);
  });
  it("admits a rate limit's whole budget per period", () => {
    let tat: number | undefined;
    let allowed = 0;
    for (let i = 0; i < 5; i++) {
      const r = gcra(tat, 0, 1000 / 2, 1000);
      if (r.allowed) {
        allowed++;
        tat = r.tat;
      }
    }
    expect(allowed).toBe(2);
  });
});

/** Flow state over a journal that only records the rows it is given, on a manual clock. */
function flowRig() {
  const clock = new ManualClock();
  const rows: Array<StateRow | { kind: string; key: string; deleted: true }> = [];
  const journal = {
    putState: (row: StateRow) => void rows.push(row),
    deleteState: (kind: string, key: string) => void rows.push({ kind, key, deleted: true }),
  };
  const timers = new Timers(clock);
  return { clock, rows, timers, flow: new FlowState(journal, clock, timers) };
}

const base = {
  name: "f",
  triggers: [{ event: "a/b" }],
  steps: { step: { id: "step", name: "step", runtime: { type: "http", url: "http://x/api/inngest?fnId=app-f&stepId=step" } } },
};

describe("throttle (flow/throttle.ts)", () => {
  function throttled(throttle: Record<string, unknown>) {
    const r = flowRig();
    const registry = new Registry();
    registry.setMany([defineFunction("app", { ...base, id: "app-f", throttle })]);
    const item = (key = "app-f|") => ({ fnSlug: "app-f", throttleKey: key }) as QueueItem;
    return { ...r, start: (key?: string) => throttleStart(r.flow, registry, item(key), r.clock.now()) };
  }

  it("lets `burst` starts through at once, then one per period/limit, never dropping one", () => {
    const { clock, start } = throttled({ limit: 2, period: "1s", burst: 2 });
    const now = clock.now();
    expect([start(), start()]).toEqual([now, now]);
    // The third is told when it may go: one emission (500 ms) on.
    expect(start()).toBe(now + 500);
    expect(start()).toBe(now + 500); // asking again takes no slot
    clock.advance(500);
    expect(start()).toBe(clock.now());
    expect(start()).toBe(clock.now() + 500);
  });

  it("keeps a bucket per key, and remembers each slot in flow state until its period has passed", () => {
    const { clock, rows, flow, start } = throttled({ limit: 1, period: "10s", key: "event.data.user" });
    const now = clock.now();
    expect(start("app-f|a")).toBe(now);
    expect(start("app-f|b")).toBe(now);
    expect(start("app-f|a")).toBe(now + 10_000);
    expect(rows.map((r) => ("value" in r ? [r.kind, r.key, r.expiresAt] : r))).toEqual([
      ["throttle", "app-f|a", now + 20_000],
      ["throttle", "app-f|b", now + 20_000],
    ]);
    expect(flow.get("throttle", "app-f|a")).toBe(now + 10_000);
  });

  it("lets everything through for a function without throttle, or an item without a throttle key", () => {
    const { clock, flow } = throttled({ limit: 1, period: "1s" });
    const registry = new Registry();
    registry.setMany([defineFunction("app", { ...base, id: "app-g" })]);
    const now = clock.now();
    for (let i = 0; i < 3; i++) expect(throttleStart(flow, registry, { fnSlug: "app-g", throttleKey: "k" } as QueueItem, now)).toBe(now);
    for (let i = 0; i < 3; i++) expect(throttleStart(flow, registry, { fnSlug: "app-f" } as QueueItem, now)).toBe(now);
  });
});

describe("rate limit arithmetic (GCRA with the whole period as tolerance)", () => {
  it("admits `limit` per period and refills evenly: one more every period/limit", () => {
    const period = 10_000;
    const limit = 2;
    let tat: number | undefined;
    const admit = (now: number) => {
      const r = gcra(tat, now, period / limit, period);
      if (r.allowed) tat = r.tat;
      return r.allowed;
    };
    expect([admit(0), admit(0), admit(0)]).toEqual([true, true, false]);
    expect(admit(4_999)).toBe(false);
    expect(admit(5_000)).toBe(true);
    expect(admit(5_000)).toBe(false);
  });
});

describe("flow state (flow/flow-state.ts)", () => {
  it("forgets an entry once it has expired on the clock, and journals every change", () => {
    const { clock, rows, flow } = flowRig();
    flow.put("idempotency", "app-f|o-1", 1, clock.now() + 1000);
    expect(flow.get("idempotency", "app-f|o-1")).toBe(1);
    clock.advance(999);
    expect(flow.get("idempotency", "app-f|o-1")).toBe(1);
    clock.advance(1);
    expect(flow.get("idempotency", "app-f|o-1")).toBeUndefined();
    flow.put("cron", "app-f|@hourly", 5);
    flow.delete("cron", "app-f|@hourly");
    expect(flow.get("cron", "app-f|@hourly")).toBeUndefined();
    expect(rows).toEqual([
      { kind: "idempotency", key: "app-f|o-1", value: 1, expiresAt: clock.now() },
      { kind: "cron", key: "app-f|@hourly", value: 5, expiresAt: undefined },
      { kind: "cron", key: "app-f|@hourly", deleted: true },
    ]);
  });

  it("lists one kind, drops what expired, and restores recovered rows without journaling them again", () => {
    const { clock, rows, flow } = flowRig();
    flow.restore("dedup", "app-f|e1", 1, clock.now() + 10);
    flow.restore("dedup", "app-f|e2", 1, null);
    flow.restore("ratelimit", "app-f|", 123, null);
    expect(flow.list("dedup").map(([k]) => k)).toEqual(["app-f|e1", "app-f|e2"]);
    flow.dropExpired(clock.now() + 10);
    expect(flow.list("dedup").map(([k]) => k)).toEqual(["app-f|e2"]);
    expect(rows).toEqual([]);
  });

  it("re-arms a bucket's timer instead of adding a second one (a debounce pushed back fires once)", () => {
    const { clock, flow } = flowRig();
    const fired: string[] = [];
    flow.setTimer("debounce|app-f|u1", clock.now() + 1000, () => fired.push("first"));
    flow.setTimer("debounce|app-f|u1", clock.now() + 2000, () => fired.push("second"));
    clock.advance(1000);
    expect(fired).toEqual([]);
    clock.advance(1000);
    expect(fired).toEqual(["second"]);
    flow.setTimer("batch|app-f|", clock.now() + 500, () => fired.push("batch"));
    flow.clearTimer("batch|app-f|");
    clock.advance(1000);
    expect(fired).toEqual(["second"]);
  });
});

describe("flow keys", () => {
  const now = Date.parse("2030-01-01T00:00:00Z");
  it("buckets by the key expression's value, one bucket per function without one", () => {
    const event = { name: "a/b", data: { user: "u1", n: 5 } };
    expect(flowKey("app-f", "event.data.user", { event }, now)).toBe("app-f|u1");
    expect(flowKey("app-f", "event.data.n", { event }, now)).toBe("app-f|5");
    expect(flowKey("app-f", "event.data.missing", { event }, now)).toBe("app-f|null");
    expect(flowKey("app-f", undefined, { event }, now)).toBe("app-f|");
    expect(fnOfKey(scopedKey("app-f", "a|b"))).toBe("app-f");
  });
});
