import { sleep, until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRuns, hasEnded, type Rig, rig, runsOf } from "../support/harness.js";
import { JumpClock } from "../support/jump-clock.js";

/**
 * Each flow-control feature with a test that would fail without it. Deadlines (throttle spacing, debounce and batch
 * windows, timeouts, sleeps) are reached by moving the engine's clock, and "nothing else happened" is read from the
 * engine's own decisions (each made before the event API answers), never from a sleep.
 */
describe("flow control", () => {
  let r: Rig;
  const clock = new JumpClock();
  const inFlight: Record<string, number> = {};
  const maxInFlight: Record<string, number> = {};
  const starts: Record<string, Array<{ at: number; data: Record<string, unknown> }>> = {};
  const enter = (k: string) => {
    inFlight[k] = (inFlight[k] ?? 0) + 1;
    maxInFlight[k] = Math.max(maxInFlight[k] ?? 0, inFlight[k] as number);
  };
  const leave = (k: string) => {
    inFlight[k] = (inFlight[k] ?? 1) - 1;
  };
  const started = (k: string, data: Record<string, unknown>) => {
    const list = starts[k] ?? [];
    list.push({ at: Date.now(), data });
    starts[k] = list;
  };

  beforeAll(async () => {
    r = await rig(
      "flow",
      (inngest) => [
        inngest.createFunction({ id: "limited", concurrency: 2, triggers: [{ event: "f/limited" }] }, async ({ step }) => {
          await step.run("work", async () => {
            enter("limited");
            await sleep(120);
            leave("limited");
          });
        }),
        inngest.createFunction(
          { id: "per-user", concurrency: { limit: 1, key: "event.data.user" }, triggers: [{ event: "f/per-user" }] },
          async ({ event, step }) => {
            await step.run("work", async () => {
              enter(`user:${event.data.user}`);
              enter("per-user-all");
              await sleep(100);
              leave(`user:${event.data.user}`);
              leave("per-user-all");
            });
          },
        ),
        inngest.createFunction(
          { id: "prioritised", concurrency: 1, priority: { run: "event.data.p" }, triggers: [{ event: "f/prio" }] },
          async ({ event, step }) => {
            await step.run("work", async () => {
              started("prio", event.data);
              await sleep(event.data.blocker ? 400 : 5);
            });
          },
        ),
        inngest.createFunction(
          { id: "throttled", throttle: { limit: 2, period: "1s" }, triggers: [{ event: "f/throttle" }] },
          async ({ event }) => {
            started("throttle", event.data);
          },
        ),
        inngest.createFunction(
          { id: "rate-limited", rateLimit: { limit: 2, period: "10s" }, triggers: [{ event: "f/rl" }] },
          async () => "ran",
        ),
        inngest.createFunction(
          { id: "idempotent", idempotency: "event.data.orderId", triggers: [{ event: "f/idem" }] },
          async ({ event }) => event.data.orderId,
        ),
        inngest.createFunction(
          { id: "debounced", debounce: { period: "1s", key: "event.data.user" }, triggers: [{ event: "f/debounce" }] },
          async ({ event }) => event.data.n,
        ),
        inngest.createFunction(
          { id: "batched", batchEvents: { maxSize: 3, timeout: "1s" }, triggers: [{ event: "f/batch" }] },
          async ({ events }) => events.map((e: { data: { n: number } }) => e.data.n),
        ),
        inngest.createFunction(
          { id: "single-skip", singleton: { key: "event.data.k", mode: "skip" }, triggers: [{ event: "f/single-skip" }] },
          async ({ step }) => {
            await step.run("hold", () => sleep(600));
            return "done";
          },
        ),
        inngest.createFunction(
          { id: "single-cancel", singleton: { key: "event.data.k", mode: "cancel" }, triggers: [{ event: "f/single-cancel" }] },
          async ({ step }) => {
            await step.sleep("hold", "2s");
            return "done";
          },
        ),
        inngest.createFunction(
          { id: "cancellable", cancelOn: [{ event: "f/cancel", match: "data.id" }], triggers: [{ event: "f/cancellable" }] },
          async ({ step }) => {
            await step.sleep("long", "30s");
            return "not cancelled";
          },
        ),
        inngest.createFunction(
          { id: "finish-timeout", timeouts: { finish: "1s" }, triggers: [{ event: "f/finish-timeout" }] },
          async ({ step }) => {
            await step.sleep("long", "10s");
          },
        ),
        inngest.createFunction(
          { id: "start-timeout", concurrency: 1, timeouts: { start: "1s" }, triggers: [{ event: "f/start-timeout" }] },
          async ({ event, step }) => {
            await step.run("hold", () => sleep(event.data.holdMs ?? 0));
            return event.data.n;
          },
        ),
        ...["shared-a", "shared-b"].map((id) =>
          inngest.createFunction(
            { id, concurrency: { limit: 1, key: '"openai"', scope: "env" }, triggers: [{ event: "f/shared" }] },
            async ({ step }) => {
              await step.run("call", async () => {
                enter("shared");
                await sleep(80);
                leave("shared");
              });
            },
          ),
        ),
        inngest.createFunction({ id: "wild", triggers: [{ event: "f/wild.*" }] }, async ({ event }) => event.name),
        inngest.createFunction(
          { id: "filtered", triggers: [{ event: "f/expr", if: "event.data.n > 5" }] },
          async ({ event }) => event.data.n,
        ),
        inngest.createFunction({ id: "dedup", triggers: [{ event: "f/dedup" }] }, async ({ event }) => event.id),
        inngest.createFunction(
          { id: "cancel-watch", triggers: [{ event: "inngest/function.cancelled" }] },
          async ({ event }) => event.data.function_id,
        ),
        inngest.createFunction(
          { id: "finish-watch", triggers: [{ event: "inngest/function.finished", if: "event.data.function_id == 'flow-idempotent'" }] },
          async ({ event }) => (event.data as { result?: unknown }).result ?? null,
        ),
      ],
      { clock },
    );
  });
  afterAll(async () => r?.stop());

  it("concurrency 2 never has more than 2 steps in flight", async () => {
    await r.client.send(Array.from({ length: 8 }, (_, i) => ({ name: "f/limited", data: { i } })));
    const runs = await endedRuns(r.engine, "flow-limited", 8);
    expect(maxInFlight.limited).toBe(2);
    // The trace carries the step's own timing (the SDK's interval): the 120 ms of work shows up.
    expect(runs[0]?.steps.find((s) => s.name === "work")?.duration_ms).toBeGreaterThanOrEqual(110);
  });

  it("keyed concurrency limits each key separately", async () => {
    const events = ["a", "b"].flatMap((user) => Array.from({ length: 3 }, (_, i) => ({ name: "f/per-user", data: { user, i } })));
    await r.client.send(events);
    await endedRuns(r.engine, "flow-per-user", 6);
    expect(maxInFlight["user:a"]).toBe(1);
    expect(maxInFlight["user:b"]).toBe(1);
    expect(maxInFlight["per-user-all"]).toBe(2);
  });

  it("env-scoped concurrency is shared by every function using the same key", async () => {
    await r.client.send(Array.from({ length: 3 }, (_, i) => ({ name: "f/shared", data: { i } })));
    await endedRuns(r.engine, "flow-shared-a", 3);
    await endedRuns(r.engine, "flow-shared-b", 3);
    expect(maxInFlight.shared).toBe(1);
  });

  it("priority reorders a backlog", async () => {
    await r.client.send({ name: "f/prio", data: { p: 0, blocker: true, label: "blocker" } });
    await until("blocker started", () => starts.prio?.length === 1);
    await r.client.send([1, 2, 3].map((i) => ({ name: "f/prio", data: { p: 0, label: `low${i}` } })));
    await r.client.send([1, 2].map((i) => ({ name: "f/prio", data: { p: 600, label: `high${i}` } })));
    await endedRuns(r.engine, "flow-prioritised", 6);
    expect(starts.prio?.map((s) => s.data.label)).toEqual(["blocker", "high1", "high2", "low1", "low2", "low3"]);
  });

  it("throttle spaces run starts and never drops them", async () => {
    const startedAt: number[] = [];
    r.engine.events.on("item.dispatched", ({ item }) => {
      if (item.fnSlug === "flow-throttled" && item.isStart) startedAt.push(clock.now());
    });
    await r.client.send(Array.from({ length: 4 }, (_, i) => ({ name: "f/throttle", data: { i } })));
    await until("the first start", () => startedAt.length === 1);
    const waiting = await until("a throttled run", async () =>
      (await runsOf(r.engine, "flow-throttled")).find((x) => x.waiting?.reason.startsWith("throttled until")),
    );
    expect(waiting.waiting?.reason).toMatch(/^throttled until \S+ \(in \d+ms\)$/);
    // 2 per second: one start every 500 ms; each step of the clock lets exactly one more through.
    for (let n = 2; n <= 4; n++) {
      clock.advance(500);
      await until(`start ${n}`, () => startedAt.length === n);
    }
    await endedRuns(r.engine, "flow-throttled", 4);
    for (let i = 1; i < startedAt.length; i++) expect((startedAt[i] as number) - (startedAt[i - 1] as number)).toBeGreaterThanOrEqual(500);
  });

  it("rateLimit skips events over the limit", async () => {
    await r.client.send(Array.from({ length: 5 }, (_, i) => ({ name: "f/rl", data: { i } })));
    expect(r.decisions.created("flow-rate-limited")).toHaveLength(2);
    expect(r.decisions.skipped("flow-rate-limited").map((x) => x.reason)).toEqual(["rate_limited", "rate_limited", "rate_limited"]);
    await endedRuns(r.engine, "flow-rate-limited", 2);
  });

  it("idempotency runs once per key", async () => {
    await r.client.send([
      { name: "f/idem", data: { orderId: "o-1" } },
      { name: "f/idem", data: { orderId: "o-1" } },
      { name: "f/idem", data: { orderId: "o-2" } },
    ]);
    expect(r.decisions.skipped("flow-idempotent").map((x) => x.reason)).toEqual(["idempotency"]);
    await endedRuns(r.engine, "flow-idempotent", 2);
    const outputs = (await runsOf(r.engine, "flow-idempotent")).map((x) => x.output).sort();
    expect(outputs).toEqual(["o-1", "o-2"]);
    // inngest/function.finished carries each run's result to any function listening for it.
    await until("function.finished seen twice", async () => (await runsOf(r.engine, "flow-finish-watch", "Completed")).length === 2);
    expect((await runsOf(r.engine, "flow-finish-watch")).map((x) => x.output).sort()).toEqual(["o-1", "o-2"]);
  });

  it("an event id starts at most one run per function", async () => {
    await r.client.send({ name: "f/dedup", id: "dup-1", data: {} });
    await r.client.send({ name: "f/dedup", id: "dup-1", data: {} });
    expect(r.decisions.created("flow-dedup")).toHaveLength(1);
    expect(r.decisions.skipped("flow-dedup").map((x) => x.reason)).toEqual(["duplicate_event_id"]);
    await endedRuns(r.engine, "flow-dedup", 1);
    const events = await r.engine.api.events.list({ name: "f/dedup" });
    expect(events.data).toHaveLength(2); // both stored, one run
  });

  it("debounce runs once with the last event after the quiet period", async () => {
    for (const n of [1, 2, 3]) await r.client.send({ name: "f/debounce", data: { user: "u1", n } });
    expect(r.decisions.skipped("flow-debounced").map((x) => x.reason)).toEqual(["debounced", "debounced", "debounced"]);
    expect(r.decisions.created("flow-debounced")).toHaveLength(0);
    clock.advance(1000);
    const [run] = await endedRuns(r.engine, "flow-debounced", 1);
    expect(run?.output).toBe(3);
    // Nothing is left waiting that could start a second run.
    expect(r.engine.ctx.flow.list("debounce").filter(([key]) => key.startsWith("flow-debounced|"))).toEqual([]);
    expect(r.decisions.created("flow-debounced")).toHaveLength(1);
  });

  it("batchEvents flushes at maxSize and on timeout", async () => {
    await r.client.send([1, 2, 3, 4].map((n) => ({ name: "f/batch", data: { n } })));
    expect(r.decisions.created("flow-batched")).toHaveLength(1); // the first three, at maxSize
    clock.advance(1000); // the fourth's batch times out
    const runs = await endedRuns(r.engine, "flow-batched", 2);
    expect(runs.map((x) => x.output)).toEqual([[1, 2, 3], [4]]);
  });

  it("singleton skip drops a second run while one is active", async () => {
    await r.client.send({ name: "f/single-skip", data: { k: "x" } });
    await until("first singleton run", async () => (await runsOf(r.engine, "flow-single-skip")).length === 1);
    await r.client.send({ name: "f/single-skip", data: { k: "x" } });
    expect(r.decisions.skipped("flow-single-skip").map((x) => x.reason)).toEqual(["singleton_skip"]);
    await endedRuns(r.engine, "flow-single-skip", 1);
    expect(await runsOf(r.engine, "flow-single-skip")).toHaveLength(1);
  });

  it("singleton cancel replaces the active run", async () => {
    await r.client.send({ name: "f/single-cancel", data: { k: "x" } });
    await until("first run", async () => (await runsOf(r.engine, "flow-single-cancel")).length === 1);
    await r.client.send({ name: "f/single-cancel", data: { k: "x" } });
    await endedRuns(r.engine, "flow-single-cancel", 1);
    await until("the new run sleeping", async () =>
      (await runsOf(r.engine, "flow-single-cancel", "Running"))[0]?.waiting?.reason.startsWith("sleeping"),
    );
    clock.advance(2000);
    const runs = await endedRuns(r.engine, "flow-single-cancel", 2);
    expect(runs.map((x) => x.status)).toEqual(["Cancelled", "Completed"]);
  });

  it("cancelOn cancels a matching run and emits inngest/function.cancelled", async () => {
    await r.client.send([
      { name: "f/cancellable", data: { id: "c1" } },
      { name: "f/cancellable", data: { id: "c2" } },
    ]);
    await until(
      "both sleeping",
      async () => (await runsOf(r.engine, "flow-cancellable")).filter((x) => x.waiting?.reason.startsWith("sleeping")).length === 2,
    );
    await r.client.send({ name: "f/cancel", data: { id: "c1" } });
    const [cancelled] = await endedRuns(r.engine, "flow-cancellable", 1);
    expect(cancelled?.status).toBe("Cancelled");
    expect((cancelled?.events as Array<{ data: { id: string } }> | undefined)?.[0]?.data.id).toBe("c1");
    const still = await runsOf(r.engine, "flow-cancellable", "Running");
    expect(still).toHaveLength(1);
    await until("function.cancelled seen", async () =>
      (await runsOf(r.engine, "flow-cancel-watch", "Completed")).some((x) => x.output === "flow-cancellable"),
    );
  });

  it("timeouts.finish cancels a run that takes too long", async () => {
    await r.client.send({ name: "f/finish-timeout", data: {} });
    await until("sleeping", async () => (await runsOf(r.engine, "flow-finish-timeout"))[0]?.waiting?.reason.startsWith("sleeping"));
    clock.advance(1000);
    const [run] = await endedRuns(r.engine, "flow-finish-timeout", 1);
    expect(run?.status).toBe("Cancelled");
    expect(run?.cancel_reason).toContain("timeouts.finish");
  });

  it("timeouts.start cancels a run that could not start in time", async () => {
    const holder = await r.client.send({ name: "f/start-timeout", data: { n: 1, holdMs: 2500 } });
    await until(
      "holder running",
      async () => (await runsOf(r.engine, "flow-start-timeout")).find((x) => x.event_id === holder.ids[0])?.status === "Running",
    );
    const { ids } = await r.client.send({ name: "f/start-timeout", data: { n: 2 } });
    clock.advance(1000); // the second cannot start within a second: the holder has the one slot
    const second = await until("the second ended", async () => {
      const mine = (await runsOf(r.engine, "flow-start-timeout")).find((x) => x.event_id === ids[0]);
      return mine && hasEnded(mine.status) && mine;
    });
    expect(second?.status).toBe("Cancelled");
    expect(second?.cancel_reason).toContain("timeouts.start");
    expect(second?.run_started_at).toBeNull();
  });

  it("timeouts.start does not touch a run that started in time", async () => {
    // Alone in its one slot (an earlier test's holder may still run).
    await until("no other run of the function", async () =>
      (await runsOf(r.engine, "flow-start-timeout")).every((x) => hasEnded(x.status)),
    );
    const { ids } = await r.client.send({ name: "f/start-timeout", data: { n: 3 } });
    const run = await until("the run ended", async () => {
      const [mine] = (await runsOf(r.engine, "flow-start-timeout")).filter((x) => x.event_id === ids[0]);
      return mine && hasEnded(mine.status) && mine;
    });
    clock.advance(1000); // past the start deadline: nothing changes for a run that started
    expect(run.status).toBe("Completed");
    expect((await r.engine.api.runs.get(run.run_id as string)).data.status).toBe("Completed");
  });

  it("matches wildcard triggers and expression filters", async () => {
    await r.client.send([
      { name: "f/wild.one", data: {} },
      { name: "f/wildcard", data: {} },
      { name: "f/expr", data: { n: 3 } },
      { name: "f/expr", data: { n: 10 } },
    ]);
    const [wild] = await endedRuns(r.engine, "flow-wild", 1);
    expect(wild?.output).toBe("f/wild.one");
    const [filtered] = await endedRuns(r.engine, "flow-filtered", 1);
    expect(filtered?.output).toBe(10);
    // Decided when the events were received: the others matched nothing.
    expect(r.decisions.created("flow-wild")).toHaveLength(1);
    expect(r.decisions.created("flow-filtered")).toHaveLength(1);
  });
});
