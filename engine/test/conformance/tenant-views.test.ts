import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRunsOf, type Rig, rig } from "../support/harness.js";

/**
 * Per-tenant views at the source: the engine keeps every event's and run's tenant (the event data's orgId) and
 * filters on it before it limits, so one tenant's list is its own whatever another tenant sends; the events list can
 * leave each event's data out (a summary with its size), and one event is fetched with its data.
 */
describe("tenant views", () => {
  let r: Rig;

  beforeAll(async () => {
    r = await rig("tv", (inngest) => [
      inngest.createFunction({ id: "echo", triggers: [{ event: "tv/go" }] }, async ({ event }) => event.data.n ?? null),
    ]);
  });
  afterAll(async () => r?.stop());

  const json = async (path: string) => (await (await fetch(`${r.engine.url}${path}`)).json()) as { data: Array<Record<string, unknown>> };

  it("lists a tenant's events and runs only, newest first, however many another tenant sent after them", async () => {
    const mine = await r.client.send([1, 2, 3].map((n) => ({ name: "tv/go", data: { orgId: "org_a", n } })));
    // org_b sends more than a page of large events after org_a's.
    await r.client.send(Array.from({ length: 60 }, (_, n) => ({ name: "tv/go", data: { orgId: "org_b", n, blob: "x".repeat(50_000) } })));
    await endedRunsOf(r.engine, "tv-echo", mine.ids, 30_000);

    const events = await json("/v1/events?tenant=org_a&summary=true&limit=10");
    expect(events.data.map((e) => e.id)).toEqual([...mine.ids].reverse());
    for (const e of events.data) {
      expect(e).not.toHaveProperty("data");
      expect(e.data_bytes).toBeGreaterThan(10);
      expect(e.tenant).toBe("org_a");
      expect((e.runs as unknown[]).length).toBe(1);
    }
    const big = await json("/v1/events?tenant=org_b&summary=true&limit=1");
    expect(big.data[0]?.data_bytes).toBeGreaterThan(50_000);

    const one = (await (await fetch(`${r.engine.url}/v1/events/${mine.ids[0]}`)).json()) as { data: { data: unknown } };
    expect(one.data.data).toEqual({ orgId: "org_a", n: 1 });

    const runs = await json("/v1/runs?function_id=tv-echo&tenant=org_a&limit=50");
    expect(runs.data).toHaveLength(3);
    // The app's `event_data={"orgId":…}` filter means the same, on the same index.
    const byData = await json(`/v1/runs?function_id=tv-echo&limit=50&event_data=${encodeURIComponent('{"orgId":"org_a"}')}`);
    expect(byData.data.map((x) => x.run_id)).toEqual(runs.data.map((x) => x.run_id));
  });
});
