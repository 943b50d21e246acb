import { freePort, sleep, until } from "@jobdeck/test-kit";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { Engine } from "../../src/engine.js";
import { databaseUrl, endedRuns, recordDecisions, startEngine, uniqueSchema } from "../support/harness.js";
import { JumpClock } from "../support/jump-clock.js";
import { createClient, startApp } from "../support/sdk-app.js";

describe("cron triggers", () => {
  /** Moves the clock to the next whole second (where "@every 1s" fires) and waits for that fire's decision. */
  async function nextFire(clock: JumpClock, decided: () => number): Promise<void> {
    const before = decided();
    clock.advance(1000 - (clock.now() % 1000));
    await until("the cron fired", () => decided() > before);
  }

  it("fires on schedule and never twice for one scheduled time across a restart", async () => {
    const schema = uniqueSchema("cron");
    const clock = new JumpClock();
    let engine = await startEngine({ schema, clock });
    let decisions = recordDecisions(engine);
    const decided = () => decisions.created("cron-tick").length + decisions.skipped("cron-tick").length;
    const client = createClient("cron", engine.url);
    const fn = client.createFunction({ id: "tick", triggers: [{ cron: "@every 1s" }] }, async ({ event }) => {
      const data = event.data as { cron?: string; scheduledAt?: string };
      return { name: event.name, scheduledAt: data.scheduledAt, cron: data.cron };
    });
    const app = await startApp(client, [fn]);
    try {
      await engine.apps.syncUrl(app.url);
      for (let i = 0; i < 2; i++) await nextFire(clock, decided);
      const first = await endedRuns(engine, "cron-tick", 2, 10_000);
      expect(first[0]?.output).toMatchObject({ name: "inngest/scheduled.timer", cron: "@every 1s" });
      await engine.stop(500);
      engine = await startEngine({ schema, clock });
      decisions = recordDecisions(engine);
      await engine.apps.syncUrl(app.url);
      for (let i = 0; i < 3; i++) await nextFire(clock, decided);
      await endedRuns(engine, "cron-tick", 5, 15_000);
      const all = (await engine.api.runs.list({ functionSlug: "cron-tick", limit: 100 })).data;
      const times = all.map((r) => (r.output as { scheduledAt: string }).scheduledAt);
      expect(new Set(times).size).toBe(times.length);
      const sorted = times.map((t) => Date.parse(t)).sort((a, b) => a - b);
      for (let i = 1; i < sorted.length; i++) expect((sorted[i] as number) - (sorted[i - 1] as number)).toBeGreaterThanOrEqual(1000);
    } finally {
      await app.close();
      await engine.stop(200);
    }
  });

  it("applies the function's flow control to scheduled runs: an idempotency key per window gives one run per window", async () => {
    const clock = new JumpClock();
    const engine = await startEngine({ schema: uniqueSchema("cronidem"), clock });
    const decisions = recordDecisions(engine);
    const fires: number[] = [];
    const client = createClient("cronidem", engine.url);
    const fn = client.createFunction(
      { id: "windowed", triggers: [{ cron: "@every 1s" }], idempotency: "string(int(event.ts / 3000))" },
      async ({ event }) => ({ window: Math.floor(Number(event.ts) / 3000) }),
    );
    const app = await startApp(client, [fn]);
    try {
      await engine.apps.syncUrl(app.url);
      const decided = () => decisions.created("cronidem-windowed").length + decisions.skipped("cronidem-windowed").length;
      for (let i = 0; i < 7; i++) {
        await nextFire(clock, decided);
        fires.push(Math.floor(clock.now() / 1000) * 1000);
      }
      // Seven fires; one run for each 3-second window they fell in, the rest skipped by the idempotency key.
      const windows = new Set(fires.map((t) => Math.floor(t / 3000)));
      expect(decisions.created("cronidem-windowed")).toHaveLength(windows.size);
      expect(decisions.skipped("cronidem-windowed").map((x) => x.reason)).toEqual(Array(7 - windows.size).fill("idempotency"));
      const runs = await endedRuns(engine, "cronidem-windowed", windows.size);
      expect(new Set(runs.map((r) => (r.output as { window: number }).window)).size).toBe(windows.size);
    } finally {
      await app.close();
      await engine.stop(200);
    }
  });
});

describe("one active engine per database", () => {
  it("keeps a second engine on standby and lets it take over, resuming a sleeping run", async () => {
    const schema = uniqueSchema("ha");
    const a = await startEngine({ schema, standbyPollMs: 100 });
    const client = createClient("ha", a.url);
    const fn = client.createFunction({ id: "nap", triggers: [{ event: "ha/go" }] }, async ({ step }) => {
      await step.sleep("zz", "2s");
      return "woke";
    });
    const app = await startApp(client, [fn]);
    await a.apps.syncUrl(app.url);
    const b = new Engine({
      databaseUrl: databaseUrl(),
      schema,
      port: 0,
      standbyPollMs: 100,
      resyncIntervalMs: 0,
      backoff: 50,
      logger: pino({ level: "silent" }),
    });
    const bStarted = b.start();
    try {
      await until("b listening", () => b.url !== "");
      const health = await (await fetch(`${b.url}/health`)).json();
      expect(health.role).toBe("standby");
      // A standby takes no work: the sender is told to retry (the SDK does).
      const refused = await fetch(`${b.url}/e/k`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([{ name: "ha/go", data: {} }]),
      });
      expect(refused.status).toBe(503);
      await fetch(`${a.url}/e/k`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([{ name: "ha/go", data: {} }]),
      });
      await until("sleeping", async () =>
        (await a.api.runs.list({ functionSlug: "ha-nap" })).data[0]?.waiting?.reason.startsWith("sleeping"),
      );
      await a.stop(200);
      await bStarted;
      expect((await (await fetch(`${b.url}/health`)).json()).role).toBe("active");
      const [run] = await endedRuns(b, "ha-nap", 1, 10_000);
      expect(run?.output).toBe("woke");
    } finally {
      await app.close();
      await b.stop(200);
    }
  });
});

describe("graceful shutdown", () => {
  it("lets the request in flight finish and records it, so nothing runs twice after the restart", async () => {
    const schema = uniqueSchema("stop");
    const port = await freePort();
    let engine = await startEngine({ schema, port });
    const client = createClient("stop", engine.url);
    const calls: Record<string, number> = {};
    const fn = client.createFunction({ id: "two", triggers: [{ event: "st/go" }] }, async ({ step }) => {
      await step.run("slow", async () => {
        calls.slow = (calls.slow ?? 0) + 1;
        await sleep(400);
      });
      await step.sleep("gap", "1s");
      await step.run("after", () => {
        calls.after = (calls.after ?? 0) + 1;
      });
      return "done";
    });
    const app = await startApp(client, [fn]);
    try {
      await engine.apps.syncUrl(app.url);
      await fetch(`${engine.url}/e/k`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([{ name: "st/go", data: {} }]),
      });
      await until("slow step running", () => calls.slow === 1);
      await engine.stop(5000);
      engine = await startEngine({ schema, port });
      const [run] = await endedRuns(engine, "stop-two", 1, 10_000);
      expect(run?.output).toBe("done");
      expect(calls).toEqual({ slow: 1, after: 1 });
    } finally {
      await app.close();
      await engine.stop(200);
    }
  });
});
