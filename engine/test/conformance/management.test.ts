import { until } from "@jobdeck/test-kit";
import { RetryAfterError } from "inngest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRuns, endedRunsOf, post, type Rig, rig, runsOf } from "../support/harness.js";

/** The /v1 API the console uses: listing, traces, waiting reasons, cancel, replay, pause. */
describe("management API", () => {
  let r: Rig;
  let failNext = true;
  let gate: (() => void) | undefined;

  beforeAll(async () => {
    r = await rig("mg", (inngest) => [
      inngest.createFunction({ id: "quick", triggers: [{ event: "m/quick" }] }, async ({ event, step }) => {
        const v = await step.run("double", () => (event.data.n as number) * 2);
        return { v };
      }),
      inngest.createFunction({ id: "flaky", retries: 0, triggers: [{ event: "m/flaky" }] }, async ({ step }) => {
        await step.run("maybe", () => {
          if (failNext) throw new Error("failing until fixed");
          return "fixed";
        });
        return "ok";
      }),
      inngest.createFunction({ id: "sleeper", triggers: [{ event: "m/sleep" }] }, async ({ step }) => {
        await step.sleep("zz", "1h");
      }),
      inngest.createFunction({ id: "waiter", triggers: [{ event: "m/wait" }] }, async ({ step }) => {
        await step.waitForEvent("w", { event: "m/never", timeout: "1h" });
      }),
      inngest.createFunction(
        { id: "one-at-a-time", concurrency: { limit: 1, key: "event.data.tenant" }, triggers: [{ event: "m/slot" }] },
        async ({ step }) => {
          await step.run("hold", () => new Promise<void>((resolve) => (gate = resolve)));
        },
      ),
      inngest.createFunction({ id: "pausable", triggers: [{ event: "m/pausable" }] }, async () => "ran"),
      inngest.createFunction({ id: "backing-off", retries: 3, triggers: [{ event: "m/backoff" }] }, async ({ step }) => {
        await step.run("fetch-rates", () => {
          throw new RetryAfterError("rates not published yet", "1h");
        });
      }),
    ]);
  });
  afterAll(async () => {
    gate?.();
    await r?.stop();
  });

  it("lists runs with filters and cursor pagination", async () => {
    const from = Date.now();
    const { ids } = await r.client.send(Array.from({ length: 5 }, (_, n) => ({ name: "m/quick", data: { n } })));
    await endedRunsOf(r.engine, "mg-quick", ids);
    const q = `function_id=mg-quick&from=${from}&limit=2`;
    const page1 = await (await fetch(`${r.engine.url}/v1/runs?${q}&status=completed`)).json();
    expect(page1.data).toHaveLength(2);
    expect(page1.cursor).toBeTruthy();
    const page2 = await (await fetch(`${r.engine.url}/v1/runs?${q}&cursor=${page1.cursor}`)).json();
    const page3 = await (await fetch(`${r.engine.url}/v1/runs?${q}&cursor=${page2.cursor}`)).json();
    const listed = [...page1.data, ...page2.data, ...page3.data].map((x: { run_id: string }) => x.run_id);
    expect(new Set(listed).size).toBe(5);
    expect(page3.cursor).toBeNull();
    const none = await (await fetch(`${r.engine.url}/v1/runs?function_id=mg-quick&from=${Date.now() + 60_000}`)).json();
    expect(none.data).toHaveLength(0);
    // A console hides functions it names (its system crons) from a list of every run.
    const all = await (await fetch(`${r.engine.url}/v1/runs?from=${from}&limit=50`)).json();
    expect(all.data.some((x: { function_id: string }) => x.function_id === "mg-quick")).toBe(true);
    const without = await (await fetch(`${r.engine.url}/v1/runs?from=${from}&limit=50&exclude_function_id=mg-quick,mg-other`)).json();
    expect(without.data.filter((x: { function_id: string }) => x.function_id === "mg-quick")).toHaveLength(0);
  });

  it("shows a run's step trace with timings and outputs", async () => {
    const { ids } = await r.client.send({ name: "m/quick", data: { n: 7 } });
    const [run] = await endedRunsOf(r.engine, "mg-quick", ids);
    const res = await (await fetch(`${r.engine.url}/v1/runs/${run?.run_id}`)).json();
    const step = res.data.steps.find((s: { name: string }) => s.name === "double");
    expect(step).toMatchObject({ kind: "step", attempt: 0, status: "completed" });
    expect(typeof step.output).toBe("number");
    expect(step.duration_ms).toBeGreaterThanOrEqual(0);
    expect(res.data.events[0].name).toBe("m/quick");
  });

  it("explains why a run waits: sleeping, waiting for an event, concurrency full", async () => {
    await r.client.send({ name: "m/sleep", data: {} });
    await r.client.send({ name: "m/wait", data: {} });
    await r.client.send([
      { name: "m/slot", data: { tenant: "acme" } },
      { name: "m/slot", data: { tenant: "acme" } },
    ]);
    const sleeping = await until(
      "sleep reason",
      async () =>
        (await runsOf(r.engine, "mg-sleeper"))[0]?.waiting?.reason.startsWith("sleeping until") &&
        (await runsOf(r.engine, "mg-sleeper"))[0],
    );
    expect(sleeping.waiting?.reason).toMatch(/sleeping until .*\(in (59m|1h)/);
    const waiting = await until(
      "wait reason",
      async () =>
        (await runsOf(r.engine, "mg-waiter"))[0]?.waiting?.reason.startsWith("waiting for event") &&
        (await runsOf(r.engine, "mg-waiter"))[0],
    );
    expect(waiting.waiting?.reason).toContain("waiting for event m/never until");
    // A retry names its step and counts the failures so far, as the trace shows them.
    await r.client.send({ name: "m/backoff", data: {} });
    const backingOff = await until("retry reason", async () =>
      (await runsOf(r.engine, "mg-backing-off")).find((x) => x.waiting?.reason.startsWith("retry")),
    );
    expect(backingOff.waiting?.reason).toMatch(/^retry 1 of 3: step fetch-rates failed once, tries again at \S+Z \(in (59m|1h)/);
    const blocked = await until("concurrency reason", async () =>
      (await runsOf(r.engine, "mg-one-at-a-time")).find((x) => x.waiting?.reason.startsWith("waiting for a slot")),
    );
    // A tenant's run hears of its own share only (the key is the function's tenant key).
    expect(blocked.waiting?.reason).toBe("waiting for a slot: acme runs 1 of its 1");
    gate?.();
    await until("second slot run", async () => (await runsOf(r.engine, "mg-one-at-a-time", "Completed")).length === 1);
    gate?.();
  });

  it("cancels one run, and bulk-cancels by function", async () => {
    const before = (await runsOf(r.engine, "mg-sleeper", "Running")).length;
    await r.client.send(Array.from({ length: 3 }, () => ({ name: "m/sleep", data: {} })));
    const sleeping = await until("3 more sleepers", async () => {
      const runs = await runsOf(r.engine, "mg-sleeper", "Running");
      return runs.length === before + 3 && runs;
    });
    const one = await post(`${r.engine.url}/v1/runs/${sleeping[0]?.run_id}/cancel`, {});
    expect(one.status).toBe(200);
    expect(one.json.data.status).toBe("Cancelled");
    const again = await post(`${r.engine.url}/v1/runs/${sleeping[0]?.run_id}/cancel`, {});
    expect(again.status).toBe(409);
    const bulk = await post(`${r.engine.url}/v1/runs/cancel`, { function_id: "mg-sleeper" });
    expect(bulk.json.data.cancelled).toBe(before + 2);
    expect(await runsOf(r.engine, "mg-sleeper", "Running")).toHaveLength(0);
    const missing = await post(`${r.engine.url}/v1/runs/cancel`, {});
    expect(missing.status).toBe(400);
  });

  it("replays failed runs after a fix, one or all matching", async () => {
    await r.client.send([
      { name: "m/flaky", data: { k: 1 } },
      { name: "m/flaky", data: { k: 2 } },
    ]);
    const failed = await endedRuns(r.engine, "mg-flaky", 2);
    expect(failed.every((x) => x.status === "Failed")).toBe(true);
    failNext = false;
    const single = await post(`${r.engine.url}/v1/runs/${failed[0]?.run_id}/replay`, {});
    expect(single.json.data.replay_of).toBe(failed[0]?.run_id);
    const bulk = await post(`${r.engine.url}/v1/runs/replay`, { function_id: "mg-flaky", status: "failed" });
    expect(bulk.json.data.replayed).toBe(2);
    await until("replays completed", async () => (await runsOf(r.engine, "mg-flaky", "Completed")).length === 3);
    const replay = (await runsOf(r.engine, "mg-flaky", "Completed")).find((x) => x.replay_of === failed[1]?.run_id);
    expect(replay).toBeTruthy();
    // `once`: a run replayed already is refused, and two at once make one replay.
    const again = await post(`${r.engine.url}/v1/runs/${failed[0]?.run_id}/replay`, { once: true });
    expect(again.status).toBe(409);
    expect(again.json.error).toMatch(/already replayed as run/);
    const fresh = await endedRuns(r.engine, "mg-flaky", 3);
    const unreplayed = fresh.find((x) => x.status === "Completed" && x.replay_of)?.run_id as string;
    const both = await Promise.all([1, 2].map(() => post(`${r.engine.url}/v1/runs/${unreplayed}/replay`, { once: true })));
    expect(both.map((b) => b.status).sort()).toEqual([200, 409]);
  });

  it("pauses a function: events arriving meanwhile wait as queued runs, which start when it resumes", async () => {
    const paused = await post(`${r.engine.url}/v1/functions/mg-pausable/pause`, {});
    expect(paused.json.data.paused).toBe(true);
    await r.client.send({ name: "m/pausable", data: {} });
    const held = await until("queued while paused", async () => (await runsOf(r.engine, "mg-pausable"))[0]);
    expect(held.status).toBe("Queued");
    expect(held.waiting?.reason).toBe("function mg-pausable is paused");
    await post(`${r.engine.url}/v1/functions/mg-pausable/resume`, {});
    await r.client.send({ name: "m/pausable", data: {} });
    await endedRuns(r.engine, "mg-pausable", 2);
    const fn = await (await fetch(`${r.engine.url}/v1/functions/mg-pausable`)).json();
    expect(fn.data.paused).toBe(false);
    expect(fn.data.counts_24h.Completed).toBe(2);
  });

  it("lists events with the runs they started and sends events", async () => {
    const sent = await post(`${r.engine.url}/v1/events`, { name: "m/quick", data: { n: 100 } });
    expect(sent.status).toBe(200);
    const id = sent.json.data.ids[0];
    await until(
      "run for sent event",
      async () => (await (await fetch(`${r.engine.url}/v1/events/${id}`)).json()).data.runs[0]?.status === "Completed",
    );
    const list = await (await fetch(`${r.engine.url}/v1/events?name=m/quick&limit=3`)).json();
    expect(list.data[0].internal_id).toBe(id);
    expect(list.data[0].runs[0].function_id).toBe("mg-quick");
    const runs = await (await fetch(`${r.engine.url}/v1/events/${id}/runs`)).json();
    expect(runs.data[0].output).toEqual({ v: 200 });
  });

  it("lists events received in a window, both bounds inclusive, as Inngest's GET /v1/events does", async () => {
    for (const n of [1, 2, 3]) {
      const sentAt = r.engine.ctx.clock.now();
      await r.client.send({ name: "m/window", data: { n } });
      // Each event in a millisecond of its own on the engine's clock, which stamps received_at.
      await until("the engine's clock past that millisecond", () => r.engine.ctx.clock.now() > sentAt, 1000, 1);
    }
    const all = (await (await fetch(`${r.engine.url}/v1/events?name=m/window`)).json()).data as {
      data: { n: number };
      received_at: string;
    }[];
    const at = new Map(all.map((e) => [e.data.n, e.received_at]));
    const ns = async (query: string) =>
      ((await (await fetch(`${r.engine.url}/v1/events?name=m/window&${query}`)).json()).data as { data: { n: number } }[])
        .map((e) => e.data.n)
        .sort();
    expect(await ns(`received_after=${encodeURIComponent(at.get(2) as string)}`)).toEqual([2, 3]);
    expect(await ns(`received_before=${encodeURIComponent(at.get(2) as string)}`)).toEqual([1, 2]);
    expect(
      await ns(`received_after=${encodeURIComponent(at.get(2) as string)}&received_before=${encodeURIComponent(at.get(2) as string)}`),
    ).toEqual([2]);
    expect(await ns(`received_after=${Date.parse(at.get(3) as string) + 1}`)).toEqual([]);
    const bad = await fetch(`${r.engine.url}/v1/events?received_after=yesterday`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("received_after");
  });

  it("reports health", async () => {
    const h = await (await fetch(`${r.engine.url}/health`)).json();
    expect(h).toMatchObject({ status: "ok", role: "active", database: "ok" });
    expect(h.functions).toBe(7);
  });
});
