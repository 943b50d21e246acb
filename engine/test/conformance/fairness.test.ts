import { sleep, until } from "@jobdeck/test-kit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine.js";
import { databaseKind, databaseUrl, endedRunsOf, type Rig, rig, startEngine, uniqueSchema } from "../support/harness.js";

const STEP_MS = 150;

/**
 * Fair scheduling through the real SDK: a function with a limit of 2 and its tenant key (`event.data.orgId`, a keyed
 * limit beside it, as Inngest configures it). One tenant's backlog does not make another's run wait behind all of
 * it; weights (PUT /v1/tenants/weights) give a tenant more starts and survive a restart; a waiting run hears of its
 * own tenant's share only.
 */
describe("fair scheduling across tenants", () => {
  let r: Rig;
  const started: string[] = [];

  beforeAll(async () => {
    r = await rig("fair", (inngest) => [
      inngest.createFunction(
        {
          id: "work",
          concurrency: [{ limit: 2 }, { limit: 2, key: "event.data.orgId" }],
          triggers: [{ event: "fair/go" }],
        },
        async ({ event, step }) => {
          await step.run("work", async () => {
            started.push(`${event.data.orgId}:${event.data.n}`);
            await sleep(STEP_MS); // holds its slot for a known time
          });
          return event.data.orgId;
        },
      ),
    ]);
  });
  afterAll(async () => r?.stop());

  const send = (orgId: string, count: number) =>
    r.client.send(Array.from({ length: count }, (_, n) => ({ name: "fair/go", data: { orgId, n } })));

  it("starts a tenant's run within a couple of slot turnovers, however much another tenant has queued", async () => {
    started.length = 0;
    const backlog = await send("org_b", 20);
    await until("org_b holding both slots", () => started.length >= 2, 10_000, 10);
    const mine = await send("org_a", 1);
    await endedRunsOf(r.engine, "fair-work", mine.ids, 30_000);
    const position = started.indexOf("org_a:0");
    console.log(`org_a's run started ${position + 1}th of ${started.length} (org_b had 20 queued)`);
    // The two slots org_b held, then at most one more of org_b's (the round's turn), then org_a.
    expect(position).toBeGreaterThanOrEqual(2);
    expect(position).toBeLessThanOrEqual(3);
    await endedRunsOf(r.engine, "fair-work", backlog.ids, 60_000);
  });

  it("tells a waiting run its place among its own tenant's jobs, not how busy the others keep the function", async () => {
    started.length = 0;
    const b = await send("org_b", 10);
    await until("org_b holding both slots", () => started.length >= 2, 10_000, 10);
    const a = await send("org_a", 3);
    const last = a.ids[2] as string;
    const run = await until("org_a's third run queued", async () => {
      const runs = await r.engine.api.runs.list({ functionSlug: "fair-work", limit: 50 });
      return runs.data.find((x) => x.event_id === last);
    });
    const view = await until("it waits on the function's slots", async () => {
      const v = (await r.engine.api.runs.get(run.run_id as string)).data;
      return v.predicted_start?.reason === "concurrency" ? v : undefined;
    });
    expect(view.waiting?.reason).toBe("waiting for a slot: org_a runs 0 of its 2");
    expect(view.predicted_start?.text).toMatch(/3rd of org_a's jobs in line; waiting for a slot: org_a runs 0 of its 2/);
    expect(view.predicted_start?.text).not.toMatch(/org_b|2\/2 slots busy/);
    await endedRunsOf(r.engine, "fair-work", [...b.ids, ...a.ids], 60_000);
  });

  it("gives a weight-3 tenant three starts for each of another's while both wait", async () => {
    const put = await fetch(`${r.engine.url}/v1/tenants/weights`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ weights: { org_big: 3 } }),
    });
    expect(await put.json()).toEqual({ data: { org_big: 3 } });
    started.length = 0;
    const holder = await send("org_x", 2);
    await until("org_x holding both slots", () => started.length >= 2, 10_000, 10);
    const small = await send("org_small", 8);
    const big = await send("org_big", 8);
    await endedRunsOf(r.engine, "fair-work", [...holder.ids, ...small.ids, ...big.ids], 60_000);
    const order = started.slice(2, 10).map((s) => s.split(":")[0]);
    const bigShare = order.filter((o) => o === "org_big").length;
    console.log(`starts while both waited: ${order.join(" ")}`);
    expect(bigShare).toBeGreaterThanOrEqual(5);
    expect(bigShare).toBeLessThanOrEqual(7);
  });
});

describe("tenant weights", () => {
  it("are validated, kept in the database, and back after a restart", async () => {
    const schema = uniqueSchema("weights");
    let engine = await startEngine({ schema });
    try {
      const put = (body: unknown) =>
        fetch(`${engine.url}/v1/tenants/weights`, {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      expect((await put({ weights: { org_a: 0 } })).status).toBe(400);
      expect((await put({ weights: { org_a: 2.5 } })).status).toBe(400);
      expect((await put({ weights: { org_a: 101 } })).status).toBe(400);
      expect((await put({ weights: { org_a: 4, org_b: 2 } })).status).toBe(200);
      expect((await (await put({ weights: { org_b: 1 } })).json()) as unknown).toEqual({ data: { org_a: 4 } });
      await engine.stop(500);
      engine = await startEngine({ schema });
      expect(await (await fetch(`${engine.url}/v1/tenants/weights`)).json()).toEqual({ data: { org_a: 4 } });
      expect(await (await put({ weights: { org_c: 2 }, replace: true })).json()).toEqual({ data: { org_c: 2 } });
    } finally {
      await engine.stop(500);
    }
  });
});

describe("a tenant's bulk send", () => {
  /** The events the journal is gathering for its next flush (what a sender's rows join). */
  const gathering = (engine: Engine) =>
    (engine.ctx.journal as unknown as { batch: { events: Array<{ data: { orgId?: string } }> } }).batch.events;

  /**
   * An engine, a second session that can hold its events table (flushes then wait there while a test looks at what
   * each gathers), and `post`, which sends to /e and records the order in which sends were acknowledged.
   */
  async function heldFlushRig() {
    const engine = await startEngine();
    const blocker = new pg.Client({ connectionString: databaseUrl() });
    await blocker.connect();
    const order: string[] = [];
    const post = async (label: string, body: unknown) => {
      const res = await fetch(`${engine.url}/e/key`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      order.push(label);
    };
    const hold = () => blocker.query(`BEGIN; LOCK TABLE ${engine.ctx.s}.events IN EXCLUSIVE MODE`);
    const release = () => blocker.query("COMMIT");
    // A lone event written beside the held flush (and held by the same lock): the next lone event must then be gathered.
    const occupyBeside = async () => {
      const sent = post("beside", { name: "bulk/beside", data: {} });
      await until("a lone event written beside the held flush", async () => Boolean(besideWrite(engine)));
      return { sent }; // not the promise itself, which an async function's caller would wait for
    };
    const stop = async () => {
      await blocker.end();
      await engine.stop(500);
    };
    return { engine, blocker, order, post, hold, release, occupyBeside, stop };
  }

  const besideWrite = (engine: Engine) => (engine.ctx.journal as unknown as { beside?: Promise<void> }).beside;
  const acknowledged = (order: string[]) => order.filter((label) => label !== "beside");

  it.skipIf(databaseKind() !== "pg")(
    "writes a lone event beside a flush under way, and acknowledges it first; a later flush waits for it",
    async () => {
      const { engine, blocker, order, post, stop } = await heldFlushRig();
      const journal = engine.ctx.journal;
      const eventsBlocker = new pg.Client({ connectionString: databaseUrl() });
      await eventsBlocker.connect();
      const count = async () =>
        (await engine.ctx.pool.query(`SELECT count(*)::int AS n FROM ${engine.ctx.s}.events WHERE name = 'bulk/go'`)).rows[0].n;
      try {
        await post("warm-up", { name: "bulk/warm-up", data: {} });
        // Another tenant's long flush: here one that writes flow-control state, held by a lock on that table.
        await blocker.query(`BEGIN; LOCK TABLE ${engine.ctx.s}.state IN EXCLUSIVE MODE`);
        journal.putState({ kind: "test", key: "held", value: 1, expiresAt: null });
        const held = journal.commit().then(() => order.push("held"));
        await until("a flush is held", async () => (journal as unknown as { flushing: boolean }).flushing);
        await post("lone", { name: "bulk/go", data: { orgId: "org_b" } });
        expect(order).toEqual(["warm-up", "lone"]);
        expect(await count()).toBe(1);

        // Now a lone event whose own write is held too (on the events table), and the first flush let go.
        await eventsBlocker.query(`BEGIN; LOCK TABLE ${engine.ctx.s}.events IN EXCLUSIVE MODE`);
        const second = post("second lone", { name: "bulk/go", data: { orgId: "org_c" } });
        await until("the second lone event is written beside", async () => Boolean(besideWrite(engine)));
        await blocker.query("COMMIT");
        await held;
        // A flush taken after the lone event's rows were written waits for them (it could change them).
        journal.putState({ kind: "test", key: "after", value: 2, expiresAt: null });
        const after = journal.commit().then(() => order.push("after"));
        await until("the later flush waits for the write beside", async () => (journal as unknown as { flushing: boolean }).flushing);
        await sleep(200);
        expect(order).toEqual(["warm-up", "lone", "held"]);
        await eventsBlocker.query("COMMIT");
        await Promise.all([second, after]);
        expect(order).toEqual(["warm-up", "lone", "held", "second lone", "after"]);
        expect(await count()).toBe(2);
      } finally {
        await eventsBlocker.end();
        await stop();
      }
    },
  );

  it.skipIf(databaseKind() !== "pg")(
    "is written in flushes of a bounded size, and another tenant's single event joins the next flush, not the burst's last",
    async () => {
      const { engine, order, post, hold, release, occupyBeside, stop } = await heldFlushRig();
      try {
        await post("warm-up", { name: "bulk/warm-up", data: {} });
        await hold();
        const bulk = (k: number) => Array.from({ length: 150 }, (_, n) => ({ name: "bulk/go", data: { orgId: "org_a", k, n } }));
        const bulks = [0, 1, 2, 3].map((k) => post(`bulk ${k}`, bulk(k)));
        // One bulk send is being flushed (held by the lock), one gathered for the next flush, two wait their turn.
        await until("a bulk send gathered behind the held flush", async () => gathering(engine).length === 150);
        const { sent: beside } = await occupyBeside();
        const single = post("single", { name: "bulk/go", data: { orgId: "org_b" } });
        await until("the single event gathered", async () => gathering(engine).some((e) => e.data.orgId === "org_b"));
        expect(gathering(engine)).toHaveLength(151);
        await release();
        await Promise.all([beside, single, ...bulks]);
        // Written with the second bulk send: before the last two, where group commit alone would have put all three.
        const acks = acknowledged(order);
        expect(acks.indexOf("single")).toBeLessThan(acks.length - 2);
        const { rows } = await engine.ctx.pool.query(`SELECT count(*)::int AS n FROM ${engine.ctx.s}.events WHERE name = 'bulk/go'`);
        expect(rows[0].n).toBe(601);
      } finally {
        await stop();
      }
    },
  );

  it.skipIf(databaseKind() !== "pg")(
    "keeps a burst out of the flush a lone event was gathered for: the burst waits for the next",
    async () => {
      const { engine, order, post, hold, release, occupyBeside, stop } = await heldFlushRig();
      const waitingSenders = () => (engine.ctx.journal as unknown as { turnover: unknown[] }).turnover.length;
      try {
        await post("warm-up", { name: "bulk/warm-up", data: {} });
        await hold();
        const held = post("held", { name: "bulk/held", data: {} });
        await until(
          "a flush is held",
          async () => gathering(engine).length === 0 && (engine.ctx.journal as unknown as { flushing: boolean }).flushing,
        );
        const { sent: beside } = await occupyBeside();
        const single = post("single", { name: "bulk/go", data: { orgId: "org_b" } });
        await until("the single event gathered", async () => gathering(engine).length === 1);
        const burst = post(
          "burst",
          Array.from({ length: 100 }, (_, n) => ({ name: "bulk/go", data: { orgId: "org_a", n } })),
        );
        await until("the burst waits for the next batch", async () => waitingSenders() === 1);
        expect(gathering(engine)).toHaveLength(1);
        await release();
        await Promise.all([held, beside, single, burst]);
        expect(acknowledged(order).slice(1)).toEqual(["held", "single", "burst"]);
      } finally {
        await stop();
      }
    },
  );

  it("never leaves a sender waiting when no flush is running", async () => {
    const engine = await startEngine();
    try {
      // An admitted sender that wrote nothing (its request failed) does not hold the next one back.
      await engine.ctx.journal.roomForEvents(150, 100);
      await engine.ctx.journal.roomForEvents(150, 100);
    } finally {
      await engine.stop(500);
    }
  });
});

describe("a slot's turnover", () => {
  // A second session holds the runs table, so the first run's answer cannot be committed while the test watches.
  it.skipIf(databaseKind() !== "pg")(
    "passes a run's concurrency slot on when its request is answered, not when the answer is committed",
    async () => {
      const entered: string[] = [];
      let openGate: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        openGate = resolve;
      });
      const r = await rig("turnover", (inngest) => [
        inngest.createFunction(
          { id: "one-at-a-time", concurrency: { limit: 1 }, triggers: [{ event: "turnover/go" }] },
          async ({ event }) => {
            entered.push(String(event.data.n));
            if (event.data.n === "a") await gate;
            return event.data.n;
          },
        ),
      ]);
      const blocker = new pg.Client({ connectionString: databaseUrl() });
      await blocker.connect();
      try {
        const sent = await r.client.send([
          { name: "turnover/go", data: { n: "a" } },
          { name: "turnover/go", data: { n: "b" } },
        ]);
        await until("a holding the slot", async () => entered.includes("a"), 10_000, 10);
        await sleep(200);
        expect(entered).toEqual(["a"]); // b waits for the only slot
        await blocker.query(`BEGIN; LOCK TABLE ${r.engine.ctx.s}.runs IN EXCLUSIVE MODE`);
        openGate();
        // a's answer is in, its commit waits on the lock: b is sent meanwhile.
        await until("b started while a's end is still uncommitted", async () => entered.includes("b"), 5_000, 10);
        const { rows } = await r.engine.ctx.pool.query(`SELECT count(*)::int AS n FROM ${r.engine.ctx.s}.runs WHERE status = 'completed'`);
        expect(rows[0].n).toBe(0);
        await blocker.query("COMMIT");
        const ended = await endedRunsOf(r.engine, "turnover-one-at-a-time", sent.ids, 20_000);
        expect(ended.map((run) => run.status)).toEqual(["Completed", "Completed"]);
      } finally {
        await blocker.end();
        await r.stop();
      }
    },
  );
});
