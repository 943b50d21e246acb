import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post, type Rig, rig, runsOf } from "../support/harness.js";

/**
 * Bulk cancellations as Inngest's REST API has them (pkg/api/apiv1/cancellation.go and
 * pkg/execution/cancellation at 253303c): `if` picks the runs by their triggering event, the answer is the
 * cancellation object, and they can be listed and deleted.
 */
describe("POST/GET/DELETE /v1/cancellations", () => {
  let r: Rig;

  beforeAll(async () => {
    r = await rig("cnl", (inngest) => [
      inngest.createFunction({ id: "sleeper", triggers: [{ event: "cnl/go" }] }, async ({ step }) => {
        await step.sleep("nap", "1h");
        return "woke";
      }),
    ]);
  });
  afterAll(async () => r?.stop());

  const sleeping = async (n: number) =>
    until(
      `${n} sleeping runs`,
      async () => {
        const runs = await runsOf(r.engine, "cnl-sleeper", "Running");
        return runs.length >= n && runs;
      },
      15_000,
    );

  it("cancels only the runs whose event matches `if`, and answers with Inngest's cancellation object", async () => {
    await r.client.send([
      { name: "cnl/go", data: { tenant: "acme" } },
      { name: "cnl/go", data: { tenant: "acme" } },
      { name: "cnl/go", data: { tenant: "globex" } },
    ]);
    await sleeping(3);
    const res = await post(`${r.engine.url}/v1/cancellations`, {
      app_id: "cnl",
      function_id: "sleeper",
      started_before: new Date().toISOString(),
      if: "event.data.tenant == 'acme'",
    });
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({
      id: expect.stringMatching(/^[0-9A-Z]{26}$/),
      app_id: "cnl",
      function_id: "cnl-sleeper",
      started_after: null,
      started_before: expect.any(String),
      if: "event.data.tenant == 'acme'",
      kind: "bulk_run",
      cause: "API",
      cancelled: 2,
    });
    expect(typeof res.json.metadata.fetched_at).toBe("string");
    const runs = await runsOf(r.engine, "cnl-sleeper");
    expect(runs.filter((x) => x.status === "Cancelled")).toHaveLength(2);
    expect(runs.filter((x) => x.status === "Running")).toHaveLength(1);
    for (const x of runs.filter((y) => y.status === "Cancelled")) {
      const full = (await r.engine.api.runs.get(x.run_id as string)).data;
      expect(full.events[0]?.data.tenant).toBe("acme");
    }
  });

  it("lists cancellations newest first and deletes one by id", async () => {
    const second = await post(`${r.engine.url}/v1/cancellations`, {
      app_id: "cnl",
      function_id: "sleeper",
      started_after: new Date(Date.now() - 60_000).toISOString(),
      started_before: new Date().toISOString(),
    });
    expect(second.status).toBe(200);
    expect(second.json.data.cancelled).toBe(1);
    const list = await (await fetch(`${r.engine.url}/v1/cancellations`)).json();
    expect(list.data.map((c: { id: string }) => c.id)[0]).toBe(second.json.data.id);
    expect(list.data).toHaveLength(2);
    const del = await fetch(`${r.engine.url}/v1/cancellations/${second.json.data.id}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect((await del.json()).data).toEqual({ ok: true });
    expect((await (await fetch(`${r.engine.url}/v1/cancellations`)).json()).data).toHaveLength(1);
    expect((await fetch(`${r.engine.url}/v1/cancellations/${second.json.data.id}`, { method: "DELETE" })).status).toBe(404);
    expect((await fetch(`${r.engine.url}/v1/cancellations/not-a-ulid`, { method: "DELETE" })).status).toBe(400);
  });

  it("refuses what Inngest refuses, naming every problem", async () => {
    const now = new Date().toISOString();
    const cases: [unknown, number, RegExp][] = [
      [{}, 400, /app_id is required; function_id is required; started_before is required/],
      [{ app_id: "cnl", function_id: "sleeper", started_before: new Date(Date.now() + 60_000).toISOString() }, 400, /must be in the past/],
      [
        { app_id: "cnl", function_id: "sleeper", started_before: now, started_after: new Date(Date.now() + 1000).toISOString() },
        400,
        /started_after must be before started_before/,
      ],
      [{ app_id: "cnl", function_id: "sleeper", started_before: now, if: "event.data.tenant ==" }, 400, /^if: invalid expression/],
      [{ app_id: "cnl", function_id: "nope", started_before: now }, 404, /function not found/],
      [{ app_id: "other", function_id: "sleeper", started_before: now }, 404, /function not found/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post(`${r.engine.url}/v1/cancellations`, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.json.error).toMatch(message);
    }
  });
});
