import { until } from "@jobdeck/test-kit";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { databaseUrl, endedRuns, post, rig, runsOf } from "../support/harness.js";

describe("retention", () => {
  it("prunes ended runs, their trace and spans and orphaned events past retention, and keeps live runs and their events", async () => {
    const r = await rig("ret", (client) => [
      client.createFunction({ id: "quick", triggers: [{ event: "ret/quick" }] }, async ({ step }) => step.run("a", () => 1)),
      client.createFunction({ id: "waits", triggers: [{ event: "ret/wait" }] }, async ({ step }) => {
        const got = await step.waitForEvent("w", { event: "ret/go", timeout: "1h" });
        return { got: Boolean(got) };
      }),
    ]);
    const schema = r.engine.ctx.s;
    const pool = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
    try {
      await post(`${r.engine.url}/e/k`, [{ name: "ret/quick" }, { name: "ret/quick" }, { name: "ret/wait" }]);
      const quick = await endedRuns(r.engine, "ret-quick", 2);
      // A span the app's code made in one of them (Extended Traces): it goes with its run.
      const span = {
        traceId: "4427f1ca4427f1ca4427f1ca4427f1ca",
        spanId: "4427f1ca4427f1ca",
        name: "work",
        startTimeUnixNano: "1700000000000000000",
        endTimeUnixNano: "1700000000000001000",
        attributes: [{ key: "sdk.run.id", value: { stringValue: quick[0]?.run_id } }],
      };
      const sent = await post(`${r.engine.url}/v1/traces/userland`, { resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] });
      expect(sent).toEqual({ status: 200, json: { partialSuccess: {} } });
      await until("waiting", async () => (await runsOf(r.engine, "ret-waits")).length === 1);

      // Not yet past the 7-day retention: nothing goes.
      expect(await r.engine.pruneHistory()).toEqual({ runs: 0, events: 0 });
      // Eight days later: the two ended runs and their events go; the waiting run and its event stay.
      const pruned = await r.engine.pruneHistory(Date.now() + 8 * 86_400_000);
      expect(pruned.runs).toBe(2);
      expect(pruned.events).toBe(4); // two triggers and their two inngest/function.finished events
      expect(await runsOf(r.engine, "ret-quick")).toEqual([]);
      const left = await pool.query(
        `SELECT (SELECT count(*) FROM ${schema}.events WHERE name = 'ret/quick')::int AS quick,
                (SELECT count(*) FROM ${schema}.events WHERE name = 'ret/wait')::int AS wait,
                (SELECT count(*) FROM ${schema}.history WHERE run_id NOT IN (SELECT id FROM ${schema}.runs))::int AS orphan_trace,
                (SELECT count(*) FROM ${schema}.memos WHERE run_id NOT IN (SELECT id FROM ${schema}.runs))::int AS orphan_memos,
                (SELECT count(*) FROM ${schema}.spans)::int AS spans`,
      );
      expect(left.rows[0]).toEqual({ quick: 0, wait: 1, orphan_trace: 0, orphan_memos: 0, spans: 0 });

      await post(`${r.engine.url}/e/k`, [{ name: "ret/go" }]);
      const [done] = await endedRuns(r.engine, "ret-waits", 1);
      expect(done?.output).toEqual({ got: true });
    } finally {
      await pool.end();
      await r.stop();
    }
  });
});
