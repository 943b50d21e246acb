import { randomBytes } from "node:crypto";
import { callJson } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRunsOf, post, type Rig, rig } from "../support/harness.js";

/**
 * The Dev Server's own endpoints (pkg/devserver/api.go Info, pkg/api/api.go Invoke at 253303c): `GET /dev` answers
 * its InfoResponse, and `POST /invoke/:slug` starts the function with the body as its `inngest/function.invoked`
 * event, answering `{id, status}`.
 */
describe("Dev Server endpoints", () => {
  let r: Rig;

  beforeAll(async () => {
    r = await rig("dev", (inngest) => [
      inngest.createFunction({ id: "double", retries: 2, triggers: [{ event: "dev/double" }] }, async ({ event }) => ({
        doubled: (event.data as { n: number }).n * 2,
        name: event.name,
        fnId: (event.data as { _inngest?: { fn_id?: string } })._inngest?.fn_id,
      })),
    ]);
  });
  afterAll(async () => r?.stop());

  it("GET /dev answers Inngest's InfoResponse with the registered functions", async () => {
    const res = await callJson(`${r.engine.url}/dev`);
    expect(res.status).toBe(200);
    const info = res.body as Record<string, any>;
    expect(Object.keys(info).sort()).toEqual(
      [
        "authed",
        "features",
        "functions",
        "handlers",
        "isMissingEventKeys",
        "isMissingSigningKey",
        "isSingleNodeService",
        "startOpts",
        "version",
      ].sort(),
    );
    expect(info).toMatchObject({
      authed: false,
      isSingleNodeService: true,
      isMissingSigningKey: false,
      isMissingEventKeys: false,
      handlers: null,
    });
    expect(info.startOpts).toMatchObject({ require_keys: false, urls: [] });
    expect(info.features).toMatchObject({ "enable-step-metadata": true });
    expect(info.functions).toEqual([
      expect.objectContaining({
        id: "dev-double",
        slug: "dev-double",
        name: "double",
        triggers: [{ event: "dev/double" }],
        steps: [expect.objectContaining({ id: "step", uri: expect.stringContaining("fnId=dev-double"), retries: 2 })],
      }),
    ]);
  });

  it("POST /invoke/:slug starts the function with the body as its inngest/function.invoked event", async () => {
    const res = await post(`${r.engine.url}/invoke/dev-double`, { data: { n: 21 } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id: expect.stringMatching(/^[0-9A-Z]{26}$/), status: 200 });
    const [run] = await endedRunsOf(r.engine, "dev-double", [res.json.id]);
    expect(run?.status).toBe("Completed");
    expect(run?.output).toEqual({ doubled: 42, name: "inngest/function.invoked", fnId: "dev-double" });
    expect(run?.events).toEqual([expect.objectContaining({ name: "inngest/function.invoked" })]);
  });

  it("an invoke with the same seed header is stored and run once", async () => {
    const headers = { "x-inngest-event-id-seed": `${Date.now()},${randomBytes(10).toString("base64")}` };
    const a = await post(`${r.engine.url}/invoke/dev-double`, { data: { n: 1 } }, headers);
    const b = await post(`${r.engine.url}/invoke/dev-double`, { data: { n: 1 } }, headers);
    expect(a.json.id).toBe(b.json.id);
    await endedRunsOf(r.engine, "dev-double", [a.json.id]);
    const runs = await r.engine.api.events.runs(a.json.id);
    expect(runs.data).toHaveLength(1);
  });

  it("refuses an unknown function and a body that is not an event, naming the problem", async () => {
    expect(await post(`${r.engine.url}/invoke/dev-nope`, { data: {} })).toEqual({
      status: 404,
      json: { error: "function dev-nope not found", status: 404 },
    });
    expect(await post(`${r.engine.url}/invoke/dev-double`, [{ data: {} }])).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/JSON object/) },
    });
    expect(await post(`${r.engine.url}/invoke/dev-double`, { data: "text" })).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/data must be an object/) },
    });
    expect(await post(`${r.engine.url}/invoke/dev-double`, { data: {}, ts: -5 })).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/^Invalid invocation event: .*ts/) },
    });
  });
});
