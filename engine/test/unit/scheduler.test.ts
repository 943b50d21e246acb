import { describe, expect, it } from "vitest";
import { scoreOf } from "../../src/runs/queue.js";
import { Scheduler } from "../../src/sched/scheduler.js";
import { Timers } from "../../src/sched/timers.js";
import type { ConcurrencyKey, QueueItem } from "../../src/types.js";
import { ManualClock } from "../support/manual-clock.js";

/**
 * sched/scheduler.ts: which queue item runs next. Items wait for their time, then go in score order (older runs and
 * higher priority first); a concurrency key lets `limit` through at once, a held function's items wait parked, and a
 * run's first request waits for its throttle. On a manual clock, with the hooks the engine wires in replaced.
 */

function rig(
  opts: {
    maxInFlight?: number;
    held?: Set<string>;
    throttle?: (item: QueueItem, now: number) => number;
    weights?: Record<string, number>;
  } = {},
) {
  const clock = new ManualClock();
  const held = opts.held ?? new Set<string>();
  let readySignals = 0;
  const scheduler = new Scheduler(
    new Timers(clock),
    clock,
    {
      isHeld: (slug) => held.has(slug),
      throttle: opts.throttle ?? ((_item, now) => now),
      onReady: () => readySignals++,
      weightOf: (tenant) => opts.weights?.[tenant] ?? 1,
    },
    opts.maxInFlight ?? 10,
  );
  let n = 0;
  const item = (o: Partial<QueueItem> & { createdAt?: number; priority?: number } = {}): QueueItem => {
    const id = o.id ?? `item-${++n}`;
    const { createdAt = clock.now(), priority = 0, ...rest } = o;
    return {
      id,
      runId: `run-${id}`,
      fnSlug: "app-f",
      kind: "exec",
      stepId: "step",
      attempt: 0,
      at: clock.now(),
      score: scoreOf({ createdAt, priority }),
      isStart: false,
      concurrency: [],
      seq: scheduler.nextSeq(),
      ...rest,
    };
  };
  /** Takes everything that may run now; returns the ids in the order handed out. */
  const drain = () => {
    const out: string[] = [];
    for (let i = scheduler.take(); i; i = scheduler.take()) out.push(i.id);
    return out;
  };
  return { clock, scheduler, item, drain, held, signals: () => readySignals };
}

const key = (k: string, limit: number): ConcurrencyKey => ({ key: k, limit, label: k });

describe("ordering and priority", () => {
  it("hands out older runs first, and in arrival order among equals", () => {
    const { scheduler, item, drain, clock } = rig();
    const t = clock.now();
    scheduler.add(item({ id: "newer", createdAt: t }));
    scheduler.add(item({ id: "older", createdAt: t - 5000 }));
    scheduler.add(item({ id: "newer-2", createdAt: t }));
    expect(drain()).toEqual(["older", "newer", "newer-2"]);
  });

  it("moves a run ahead by its priority in seconds: +600 passes runs up to ten minutes older, not more", () => {
    const { scheduler, item, drain, clock } = rig();
    const t = clock.now();
    scheduler.add(item({ id: "low-old", createdAt: t - 300_000 }));
    scheduler.add(item({ id: "high", createdAt: t, priority: 600 }));
    scheduler.add(item({ id: "low-older-still", createdAt: t - 700_000 }));
    scheduler.add(item({ id: "negative", createdAt: t - 1000, priority: -600 }));
    expect(drain()).toEqual(["low-older-still", "high", "low-old", "negative"]);
  });

  it("keeps an item due later in its timer until the clock reaches it, then signals it is ready", () => {
    const { scheduler, item, drain, clock, signals } = rig();
    scheduler.add(item({ id: "later", at: clock.now() + 1000 }));
    expect(drain()).toEqual([]);
    expect(scheduler.whereIs(scheduler.get("later") as QueueItem)?.place).toBe("timer");
    const before = signals();
    clock.advance(999);
    expect(drain()).toEqual([]);
    clock.advance(1);
    expect(signals()).toBe(before + 1);
    expect(drain()).toEqual(["later"]);
  });

  it("never hands out more than maxInFlight at once; a settled item makes room", () => {
    const { scheduler, item, clock } = rig({ maxInFlight: 2 });
    for (const id of ["a", "b", "c"]) scheduler.add(item({ id, createdAt: clock.now() }));
    const first = [scheduler.take(), scheduler.take()];
    expect(scheduler.take()).toBeUndefined();
    scheduler.settle(first[0] as QueueItem);
    expect(scheduler.take()?.id).toBe("c");
  });
});

describe("concurrency keys", () => {
  it("lets `limit` items of a key run at once; the next waits on the key and goes when a slot frees", () => {
    const { scheduler, item, drain } = rig();
    for (const id of ["a", "b", "c"]) scheduler.add(item({ id, concurrency: [key("fn:app-f", 2)] }));
    expect(drain()).toEqual(["a", "b"]);
    const c = scheduler.get("c") as QueueItem;
    expect(scheduler.whereIs(c)).toEqual({ place: "blocked", key: "fn:app-f" });
    expect(scheduler.inFlightFor("fn:app-f")).toBe(2);
    scheduler.settle(scheduler.get("a") as QueueItem);
    expect(drain()).toEqual(["c"]);
  });

  it("frees an answered request's slots before its dispatch settles, once, and keeps it in flight until then", () => {
    const { scheduler, item, drain } = rig({ maxInFlight: 3 });
    for (const id of ["a", "b", "c", "d"]) scheduler.add(item({ id, concurrency: [key("fn:app-f", 1)] }));
    expect(drain()).toEqual(["a"]);
    const a = scheduler.get("a") as QueueItem;
    // The app answered a's request; its answer is still being journaled.
    scheduler.releaseSlots(a);
    scheduler.releaseSlots(a); // a second call frees nothing more
    expect(scheduler.inFlightFor("fn:app-f")).toBe(0);
    expect(drain()).toEqual(["b"]);
    expect(scheduler.inFlightFor("fn:app-f")).toBe(1);
    // a's commit ends: the slot b holds stays b's, and c still waits for it.
    scheduler.settle(a);
    expect(scheduler.inFlightFor("fn:app-f")).toBe(1);
    expect(drain()).toEqual([]);
    expect(scheduler.whereIs(scheduler.get("c") as QueueItem)).toEqual({ place: "blocked", key: "fn:app-f" });
    // The engine's own limit of requests in flight counts a until it settles.
    const { scheduler: capped, item: capItem, drain: capDrain } = rig({ maxInFlight: 1 });
    capped.add(capItem({ id: "x", concurrency: [key("k", 5)] }));
    capped.add(capItem({ id: "y", concurrency: [key("k", 5)] }));
    expect(capDrain()).toEqual(["x"]);
    capped.releaseSlots(capped.get("x") as QueueItem);
    expect(capDrain()).toEqual([]);
    capped.settle(capped.get("x") as QueueItem);
    expect(capDrain()).toEqual(["y"]);
  });

  it("reports the keys runs wait on with their limit and holders, so a free slot among them shows", () => {
    const { scheduler, item, drain } = rig();
    for (const id of ["a", "b", "c", "d"]) scheduler.add(item({ id, concurrency: [key("fn:app-f", 2)] }));
    scheduler.add(item({ id: "x", concurrency: [key("fn:app-g", 5)] }));
    expect(drain()).toEqual(["a", "b", "x"]);
    expect(scheduler.slotsWaitedOn(10)).toEqual([{ key: "fn:app-f", limit: 2, in_flight: 2, waiting: 2 }]);
    scheduler.settle(scheduler.get("a") as QueueItem);
    // A slot freed and not yet taken: its waiter has moved to the ready queue, one still waits on the key.
    expect(scheduler.slotsWaitedOn(10)).toEqual([{ key: "fn:app-f", limit: 2, in_flight: 1, waiting: 1 }]);
    expect(drain()).toEqual(["c"]);
    expect(scheduler.slotsWaitedOn(10)).toEqual([{ key: "fn:app-f", limit: 2, in_flight: 2, waiting: 1 }]);
    expect(scheduler.slotsWaitedOn(0)).toEqual([]);
  });

  it("limits each key on its own: a full key holds only its own items", () => {
    const { scheduler, item, drain } = rig();
    scheduler.add(item({ id: "acme-1", concurrency: [key("fn:app-f:acme", 1)] }));
    scheduler.add(item({ id: "acme-2", concurrency: [key("fn:app-f:acme", 1)] }));
    scheduler.add(item({ id: "globex-1", concurrency: [key("fn:app-f:globex", 1)] }));
    expect(drain()).toEqual(["acme-1", "globex-1"]);
  });

  it("needs a free slot on every key an item has (a function limit and a shared env key)", () => {
    const { scheduler, item, drain } = rig();
    const env = key("env:openai", 1);
    scheduler.add(item({ id: "f-1", fnSlug: "app-f", concurrency: [key("fn:app-f", 5), env] }));
    scheduler.add(item({ id: "g-1", fnSlug: "app-g", concurrency: [key("fn:app-g", 5), env] }));
    expect(drain()).toEqual(["f-1"]);
    expect(scheduler.whereIs(scheduler.get("g-1") as QueueItem)).toEqual({ place: "blocked", key: "env:openai" });
    scheduler.settle(scheduler.get("f-1") as QueueItem);
    expect(drain()).toEqual(["g-1"]);
  });

  it("passes a slot freed on one key on to the next waiter when the item it released waits on another key", () => {
    const { scheduler, item, drain } = rig();
    const shared = key("env:shared", 1);
    const own = key("fn:app-f", 1);
    scheduler.add(item({ id: "holder", concurrency: [own] }));
    scheduler.add(item({ id: "other", fnSlug: "app-g", concurrency: [shared] }));
    expect(drain()).toEqual(["holder", "other"]);
    // Both keys full: "both" and then "next" wait on the shared key ("both" first in line).
    scheduler.add(item({ id: "both", concurrency: [shared, own] }));
    scheduler.add(item({ id: "next", fnSlug: "app-g", concurrency: [shared] }));
    expect(drain()).toEqual([]);
    // The shared slot frees: "both" is let through but still waits on its own key, so "next" must get the slot.
    scheduler.settle(scheduler.get("other") as QueueItem);
    expect(drain()).toEqual(["next"]);
  });

  it("applies keys to SDK requests only: a sleep's resume or a cancel is never held by a full key", () => {
    const { scheduler, item, drain } = rig();
    const k = key("fn:app-f", 1);
    scheduler.add(item({ id: "request", concurrency: [k] }));
    scheduler.add(item({ id: "resume", kind: "resume", concurrency: [k] }));
    scheduler.add(item({ id: "cancel", kind: "cancel", concurrency: [k] }));
    expect(drain()).toEqual(["request", "resume", "cancel"]);
  });

  it("tells a blocked item how many wait before it on its key and since when the slots are held", () => {
    const { scheduler, item, drain, clock } = rig();
    const k = key("fn:app-f:acme", 1);
    scheduler.add(item({ id: "running", concurrency: [k] }));
    const heldSince = clock.now();
    drain();
    clock.advance(250);
    for (const id of ["w1", "w2", "w3"]) scheduler.add(item({ id, concurrency: [k] }));
    drain();
    expect(scheduler.lineOf(scheduler.get("w3") as QueueItem, k.key)).toMatchObject({ ahead: 2, inFlightSince: [heldSince] });
  });
});

describe("held functions and throttle", () => {
  it("parks a held function's requests and puts them back in order when it is released", () => {
    const { scheduler, item, drain, held, clock } = rig();
    held.add("app-f");
    scheduler.add(item({ id: "f-new", createdAt: clock.now() }));
    scheduler.add(item({ id: "f-old", createdAt: clock.now() - 1000 }));
    scheduler.add(item({ id: "g", fnSlug: "app-g" }));
    expect(drain()).toEqual(["g"]);
    expect(scheduler.counts.parked).toBe(2);
    held.delete("app-f");
    scheduler.resumeFunction("app-f");
    expect(drain()).toEqual(["f-old", "f-new"]);
    expect(scheduler.counts.parked).toBe(0);
  });

  it("holds a run's first request until its throttle allows it, saying why it waits", () => {
    let allowAt = 0;
    const { scheduler, item, drain, clock } = rig({ throttle: (_item, now) => Math.max(now, allowAt) });
    allowAt = clock.now() + 500;
    scheduler.add(item({ id: "start", isStart: true, throttleKey: "app-f|" }));
    scheduler.add(item({ id: "not-a-start", throttleKey: "app-f|" }));
    expect(drain()).toEqual(["not-a-start"]);
    const waiting = scheduler.get("start") as QueueItem;
    expect(waiting.wait).toEqual({ reason: "throttle", until: allowAt });
    expect(scheduler.whereIs(waiting)?.place).toBe("timer");
    clock.advance(500);
    expect(drain()).toEqual(["start"]);
  });

  it("forgets a removed item wherever it waits, and a removed run's items all", () => {
    const { scheduler, item, drain, clock } = rig();
    scheduler.add(item({ id: "timer", at: clock.now() + 1000, runId: "r1" }));
    scheduler.add(item({ id: "ready", runId: "r1" }));
    scheduler.add(item({ id: "other", runId: "r2" }));
    scheduler.removeRun("r1");
    clock.advance(1000);
    expect(drain()).toEqual(["other"]);
    expect(scheduler.itemsOf("r1")).toEqual([]);
  });
});

describe("fair scheduling across tenants", () => {
  /** A run of tenant `org` under a function limit of `limit`, with the tenant key beside it (as jobs declare it). */
  const tenantKeys = (org: string, limit: number): ConcurrencyKey[] => [
    key("fn:app-f", limit),
    { key: `fn:app-f:${org}`, limit, label: `key ${org}`, tenant: org },
  ];

  it("starts a waiting tenant's work in turn with a tenant that has a backlog, not after all of it", () => {
    const { scheduler, item, drain, clock } = rig();
    const t = clock.now();
    for (let i = 0; i < 20; i++) scheduler.add(item({ id: `b${i}`, createdAt: t - 10_000 + i, concurrency: tenantKeys("org_b", 2) }));
    expect(drain()).toEqual(["b0", "b1"]);
    scheduler.add(item({ id: "a0", createdAt: t, concurrency: tenantKeys("org_a", 2) }));
    expect(drain()).toEqual([]);
    // org_a joins the round behind org_b, whose turn it is: of the next two freed slots, one is org_a's, though 18
    // of org_b's older jobs wait.
    scheduler.settle(scheduler.get("b0") as QueueItem);
    expect(drain()).toEqual(["b2"]);
    scheduler.settle(scheduler.get("b1") as QueueItem);
    expect(drain()).toEqual(["a0"]);
    expect(scheduler.inFlightForTenant("fn:app-f", "org_a")).toBe(1);
    expect(scheduler.inFlightForTenant("fn:app-f", "org_b")).toBe(1);
  });

  it("never leaves a slot idle while work waits: a tenant alone takes every slot", () => {
    const { scheduler, item, drain } = rig();
    for (let i = 0; i < 5; i++) scheduler.add(item({ id: `b${i}`, concurrency: tenantKeys("org_b", 3) }));
    expect(drain()).toEqual(["b0", "b1", "b2"]);
    scheduler.settle(scheduler.get("b1") as QueueItem);
    expect(drain()).toEqual(["b3"]);
  });

  it("gives a tenant of weight 3 three starts for each of another's, as slots free", () => {
    const { scheduler, item, drain, clock } = rig({ weights: { org_big: 3 } });
    const t = clock.now();
    scheduler.add(item({ id: "holder", concurrency: tenantKeys("org_x", 1) }));
    expect(drain()).toEqual(["holder"]);
    for (let i = 0; i < 8; i++) {
      scheduler.add(item({ id: `small${i}`, createdAt: t - 1_000 + i, concurrency: tenantKeys("org_small", 1) }));
      scheduler.add(item({ id: `big${i}`, createdAt: t + i, concurrency: tenantKeys("org_big", 1) }));
    }
    const order: string[] = [];
    let running = scheduler.get("holder") as QueueItem;
    for (let i = 0; i < 8; i++) {
      scheduler.settle(running);
      const [next] = drain();
      order.push((next as string).replace(/\d+$/, ""));
      running = scheduler.get(next as string) as QueueItem;
    }
    expect(order).toEqual(["small", "big", "big", "big", "small", "big", "big", "big"]);
  });

  it("keeps priority in order inside a tenant", () => {
    const { scheduler, item, drain, clock } = rig();
    const t = clock.now();
    scheduler.add(item({ id: "holder", concurrency: tenantKeys("org_a", 1) }));
    drain();
    scheduler.add(item({ id: "a-low", createdAt: t, concurrency: tenantKeys("org_a", 1) }));
    scheduler.add(item({ id: "a-high", createdAt: t, priority: 600, concurrency: tenantKeys("org_a", 1) }));
    scheduler.settle(scheduler.get("holder") as QueueItem);
    expect(drain()).toEqual(["a-high"]);
  });

  it("gives a tenant no larger share for spreading its work over many keys of another limit", () => {
    const { scheduler, item, drain, clock } = rig();
    const t = clock.now();
    // A function limit of 1 is the bottleneck; org_b spreads its 6 items over 6 hosts, org_a uses one host.
    const keys = (org: string, host: string): ConcurrencyKey[] => [
      key("fn:app-f", 1),
      { key: `fn:app-f:${org}`, limit: 1, label: `key ${org}`, tenant: org },
      key(`fn:app-f:${host}`, 5),
    ];
    scheduler.add(item({ id: "holder", concurrency: keys("org_x", "x") }));
    drain();
    for (let i = 0; i < 6; i++) scheduler.add(item({ id: `b${i}`, createdAt: t - 1000 + i, concurrency: keys("org_b", `host-${i}`) }));
    for (let i = 0; i < 3; i++) scheduler.add(item({ id: `a${i}`, createdAt: t + i, concurrency: keys("org_a", "host-a") }));
    const order: string[] = [];
    let running = scheduler.get("holder") as QueueItem;
    for (let i = 0; i < 6; i++) {
      scheduler.settle(running);
      const [next] = drain();
      order.push((next as string)[0] as string);
      running = scheduler.get(next as string) as QueueItem;
    }
    expect(order).toEqual(["b", "a", "b", "a", "b", "a"]);
  });

  it("tells a waiting item its place within its own tenant's share, and nothing of other tenants' items", () => {
    const { scheduler, item, drain, clock } = rig({ weights: { org_a: 1, org_b: 1 } });
    const t = clock.now();
    for (let i = 0; i < 2; i++) scheduler.add(item({ id: `b${i}`, createdAt: t - 100 + i, concurrency: tenantKeys("org_b", 2) }));
    drain();
    for (let i = 0; i < 10; i++) scheduler.add(item({ id: `bq${i}`, createdAt: t + i, concurrency: tenantKeys("org_b", 2) }));
    for (let i = 0; i < 3; i++) scheduler.add(item({ id: `a${i}`, createdAt: t + 50 + i, concurrency: tenantKeys("org_a", 2) }));
    drain();
    const line = scheduler.lineOf(scheduler.get("a2") as QueueItem, "fn:app-f");
    expect(line).toMatchObject({ ahead: 2, tenant: "org_a", tenantInFlight: 0, tenants: 2, share: 0.5 });
  });
});
