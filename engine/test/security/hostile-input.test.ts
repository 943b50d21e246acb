import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRuns, post, type Rig, rig, runsOf } from "../support/harness.js";

/**
 * One bad value must never freeze the engine for everyone: it is refused at the door (400 naming it), clamped
 * (durations, times), or, when only the database can tell, isolated to the run it belongs to while every other
 * write goes through. After each attack /health is ok and /e still answers.
 */
describe("hostile input", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig("hostile", (inngest) => [
      inngest.createFunction({ id: "ok", triggers: [{ event: "h/ok" }] }, async ({ step }) => step.run("fine", () => "fine")),
      inngest.createFunction({ id: "forever", triggers: [{ event: "h/forever" }] }, async ({ step }) => {
        await step.sleep("long", "99999999999999999999s");
        return "woke";
      }),
      inngest.createFunction({ id: "surrogate", triggers: [{ event: "h/surrogate" }] }, async ({ step }) =>
        step.run("half-emoji", () => ({ text: "cut \ud83d here", nul: "a\u0000b" })),
      ),
      inngest.createFunction({ id: "nul-name", retries: 0, triggers: [{ event: "h/nul-name" }] }, async ({ step }) => {
        await step.run("bad\u0000name", () => 1);
        return "unreachable?";
      }),
    ]);
  });
  afterAll(async () => r?.stop());

  const stillServing = async () => {
    const health = await fetch(`${r.engine.url}/health`);
    expect(health.status).toBe(200);
    const before = (await runsOf(r.engine, "hostile-ok")).length;
    await r.client.send({ name: "h/ok", data: {} });
    await endedRuns(r.engine, "hostile-ok", before + 1);
  };

  it.each([
    [[{ name: "h/ok", ts: 1e20 }], "events[0].ts"],
    [[{ name: "h/ok", ts: -1 }], "events[0].ts"],
    [[{ name: "h/ok", data: { s: "half \ud800 emoji" } }], "events[0].data.s: contains an unpaired UTF-16 surrogate"],
    [[{ name: "h/ok", data: { s: "nul \u0000 byte" } }], "events[0].data.s: contains a NUL"],
    [[{ name: "h/ok", data: { "k\u0000": 1 } }], "a key contains a NUL"],
    [[{ name: "h/\u0000" }], "events[0].name: contains a NUL"],
    [[{ name: "h/ok", id: "x\udc00" }], "events[0].id"],
  ])("refuses %j with a 400 naming %s", async (body, what) => {
    const res = await post(`${r.engine.url}/e/key`, body);
    expect(res.status).toBe(400);
    expect(res.json.error).toContain(what);
    await stillServing();
  });

  it("refuses nesting past 100 levels", async () => {
    const data = `${'{"x":'.repeat(10_000)}{}${"}".repeat(10_000)}`;
    const res = await post(`${r.engine.url}/e/key`, `[{"name":"h/ok","data":${data}}]`);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/nested deeper than 100 levels/);
    await stillServing();
  });

  it("answers 400, not 500, to NUL and out-of-range values in query strings", async () => {
    for (const q of ["function_id=a%00b", "from=99999999999999999999999", "to=not-a-date", "status=run%00ning"]) {
      const res = await fetch(`${r.engine.url}/v1/runs?${q}`);
      expect(res.status, q).toBe(400);
    }
    expect((await fetch(`${r.engine.url}/v1/runs/abc%00def`)).status).toBe(400);
    const c = await post(`${r.engine.url}/v1/cancellations`, { function_id: "hostile-ok", started_after: "99999999999999999999" });
    expect(c.status).toBe(400);
    const bulk = await post(`${r.engine.url}/v1/runs/cancel`, { ids: ["a\u0000"] });
    expect(bulk.status).toBe(400);
    await stillServing();
  });

  it("clamps a sleep of 1e20 seconds to a year, and every list still answers", async () => {
    await r.client.send({ name: "h/forever", data: {} });
    const run = await until(
      "sleeping",
      async () =>
        (await runsOf(r.engine, "hostile-forever"))[0]?.waiting?.reason.startsWith("sleeping") &&
        (await runsOf(r.engine, "hostile-forever"))[0],
    );
    const until_ = Date.parse(String(run?.waiting?.reason.split(" ")[2]));
    expect(until_).toBeGreaterThan(Date.now() + 360 * 86_400_000);
    expect(until_).toBeLessThanOrEqual(Date.now() + 366 * 86_400_000);
    expect((await fetch(`${r.engine.url}/v1/runs`)).status).toBe(200);
    expect((await fetch(`${r.engine.url}/v1/runs/${run?.run_id}`)).status).toBe(200);
    await stillServing();
  });

  it("stores a step output holding half an emoji or a NUL (escaped, given back exactly) instead of wedging", async () => {
    await r.client.send({ name: "h/surrogate", data: {} });
    const [run] = await endedRuns(r.engine, "hostile-surrogate");
    expect(run?.status).toBe("Completed");
    expect(run?.output).toEqual({ text: "cut \ud83d here", nul: "a\u0000b" });
    await stillServing();
  });

  it("fails only the run whose row the database refuses, with the reason; everything else commits", async () => {
    // Inputs that jsonb cannot hold are refused or replaced before they get here; this stands for any value nobody
    // foresaw: a trace row of a sleeping run with a time no bigint column holds, committed with ordinary writes.
    const sleepers = (await runsOf(r.engine, "hostile-forever")).length;
    await r.client.send({ name: "h/forever", data: { n: 2 } });
    const sleeping = await until("second sleeper", async () => {
      const runs = await runsOf(r.engine, "hostile-forever");
      return runs.length > sleepers && runs[0]?.waiting?.reason.startsWith("sleeping") && runs[0];
    });
    const journal = r.engine.ctx.journal;
    const okBefore = (await runsOf(r.engine, "hostile-ok")).length;
    journal.putHistory({ id: "bad-row", runId: sleeping.run_id as string, kind: "step", attempt: 0, status: "completed", startedAt: 1e30 });
    await Promise.all([journal.commit(), r.client.send({ name: "h/ok", data: {} })]);
    const [bad] = (await endedRuns(r.engine, "hostile-forever", 1)).filter((x) => x.run_id === sleeping.run_id);
    expect(bad?.status).toBe("Failed");
    expect(bad?.error).toMatchObject({ name: "StorageRefused" });
    expect(JSON.stringify(bad?.error)).toMatch(/refused this run's history row/);
    await endedRuns(r.engine, "hostile-ok", okBefore + 1);
    const health = (await (await fetch(`${r.engine.url}/health`)).json()) as { status: string; journal: { refusedRows: number } };
    expect(health.status).toBe("ok");
    expect(health.journal.refusedRows).toBe(1);
    await stillServing();
  });
});
