import { sleep, startTcpProxy, type TcpProxy, until } from "@jobdeck/test-kit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseKind, databaseUrl, endedRuns, type Rig, rig, runsOf } from "./support/harness.js";

/**
 * The database goes away for several seconds in the middle of runs (every connection dropped, new ones refused)
 * and comes back. The engine must not crash: it keeps its lock (taking it again on a new connection), its
 * journal retries, health says degraded meanwhile, and every run completes with no recorded step run twice.
 */
/**
 * Advisory locks granted on this engine's key (leadership.ts locks hashtext("jobdeck-engine:<quoted schema>") as one
 * bigint, which pg_locks shows split into classid, the high half, and objid, the low half, with objsubid 1).
 */
async function engineLocks(c: pg.Client, quotedSchema: string): Promise<number> {
  const { rows } = await c.query(
    `SELECT count(*)::int AS n FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND objsubid = 1
        AND classid::bigint = ((hashtext($1)::bigint >> 32) & 4294967295) AND objid::bigint = (hashtext($1)::bigint & 4294967295)`,
    [`jobdeck-engine:${quotedSchema}`],
  );
  return rows[0].n;
}

describe("a database blip", () => {
  let proxy: TcpProxy;
  let r: Rig;
  const calls = new Map<string, number>();
  const count = (k: string) => calls.set(k, (calls.get(k) ?? 0) + 1).get(k) as number;

  beforeAll(async () => {
    proxy = await startTcpProxy(databaseUrl());
    r = await rig(
      "blip",
      (inngest) => [
        inngest.createFunction({ id: "steps", triggers: [{ event: "b/go" }] }, async ({ event, step }) => {
          await step.run("one", () => count(`one:${event.data.n}`));
          await step.sleep("pause", "1s");
          await step.run("two", () => count(`two:${event.data.n}`));
          return event.data.n;
        }),
      ],
      { databaseUrl: proxy.url, leaseTtlMs: 60_000 },
    );
  });
  afterAll(async () => {
    await r?.stop();
    await proxy?.close();
  });

  it("survives 8 s without its database and finishes every run", async () => {
    await r.client.send(Array.from({ length: 10 }, (_, n) => ({ name: "b/go", data: { n } })));
    await until("all past step one", async () => (await runsOf(r.engine, "blip-steps")).length === 10 && calls.size >= 10);
    proxy.cut();
    const down = Date.now();
    await until(
      "health to say degraded",
      async () => ((await (await fetch(`${r.engine.url}/health`)).json()) as { status: string }).status === "degraded",
      8000,
    );
    // The outage itself lasts 8 s: that is the scenario (the journal and the lock retry meanwhile), not a wait for
    // something to happen.
    await sleep(Math.max(0, 8000 - (Date.now() - down)));
    proxy.restore();
    const runs = await endedRuns(r.engine, "blip-steps", 10, 60_000);
    expect(runs.map((x) => x.status)).toEqual(Array(10).fill("Completed"));
    // A step whose result was recorded before the cut never ran again.
    for (let n = 0; n < 10; n++) expect(calls.get(`one:${n}`), `one:${n}`).toBe(1);
    await until(
      "healthy again",
      async () => ((await (await fetch(`${r.engine.url}/health`)).json()) as { status: string }).status === "ok",
    );
    expect(r.engine.leadership.isLeader).toBe(true);
    if (databaseKind() === "pg") {
      // The lock went with the dropped connection; the engine takes it again on a new one, retrying every 2 s at most
      // (leadership.ts), so it may come back a moment after the runs and health did: wait for this engine's own lock.
      const c = new pg.Client({ connectionString: databaseUrl() });
      await c.connect();
      try {
        await until("the engine's advisory lock taken again", async () => (await engineLocks(c, r.engine.ctx.s)) === 1, 10_000);
      } finally {
        await c.end();
      }
    }
  }, 120_000);
});
