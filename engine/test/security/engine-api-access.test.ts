import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSigningKey } from "../../src/protocol/signing.js";
import { endedRuns, type Rig, rig, startEngine } from "../support/harness.js";

const KEY = "signkey-local-00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const EVENT_KEY = "evt-local-5f1c9a";

async function call(url: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(url, init);
  await res.body?.cancel();
  return res.status;
}
const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** The engine as `npm run dev` / `npm start` launch it: keys everywhere, browsers refused. */
describe("engine API with requireKeys", () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig(
      "keyed",
      (inngest) => [inngest.createFunction({ id: "wait", triggers: [{ event: "k/go" }] }, async ({ step }) => step.sleep("nap", "1h"))],
      { signingKey: KEY, eventKeys: [EVENT_KEY], requireKeys: true },
      { signingKey: KEY, eventKey: EVENT_KEY, isDev: true },
    );
    // One run that sleeps: the refused calls below must leave it running.
    await r.client.send({ name: "k/go", data: {} });
  });
  afterAll(async () => r?.stop());

  it("still runs the SDK end to end (sync, events and checkpoints carry the keys)", async () => {
    const runs = await r.engine.api.runs.list({ functionSlug: "keyed-wait" });
    expect(runs.data).toHaveLength(1);
  });

  it("refuses the management API without the signing key, and takes it raw or hashed", async () => {
    const u = r.engine.url;
    expect(await call(`${u}/v1/runs`)).toBe(401);
    expect(await call(`${u}/v1/runs`, { headers: { authorization: "Bearer nope" } })).toBe(401);
    expect(await call(`${u}/v1/runs/cancel`, json({ function_id: "keyed-wait" }))).toBe(401);
    expect(await call(`${u}/v1/functions/keyed-wait/pause`, { method: "POST" })).toBe(401);
    expect(await call(`${u}/v1/runs`, { headers: { authorization: `Bearer ${KEY}` } })).toBe(200);
    expect(await call(`${u}/v1/runs`, { headers: { authorization: `Bearer ${hashSigningKey(KEY)}` } })).toBe(200);
    // Liveness stays public.
    expect(await call(`${u}/health`)).toBe(200);
    // Nothing was cancelled or paused by the refused calls.
    expect((await r.engine.api.runs.list({ functionSlug: "keyed-wait" })).data[0]?.status).toBe("Running");
    expect(r.engine.ctx.registry.get("keyed-wait")?.paused).toBe(false);
  });

  it("refuses events without an event key, and a forged register", async () => {
    const u = r.engine.url;
    expect(await call(`${u}/e/any-key`, json([{ name: "k/go", data: {} }]))).toBe(401);
    expect(await call(`${u}/e/${EVENT_KEY}`, json([{ name: "k/other", data: {} }]))).toBe(200);
    const forged = { url: "http://attacker.example/api/inngest", appName: "keyed", functions: [] };
    expect(await call(`${u}/fn/register`, json(forged, { authorization: "Bearer undefined" }))).toBe(401);
    expect(await call(`${u}/v1/checkpoint/01ABC/async`, json({ qi_id: "x", steps: [] }))).toBe(401);
  });

  it("refuses requests from a browser page, even one that has the key", async () => {
    const u = r.engine.url;
    const auth = { authorization: `Bearer ${KEY}` };
    expect(await call(`${u}/v1/runs`, { headers: { ...auth, origin: "http://evil.example" } })).toBe(403);
    expect(await call(`${u}/v1/runs`, { headers: { ...auth, "sec-fetch-site": "cross-site" } })).toBe(403);
    expect(await call(`${u}/e/${EVENT_KEY}`, json([{ name: "k/go", data: {} }], { origin: "http://localhost:3000" }))).toBe(403);
    // DNS rebinding: a page on evil.example that resolves to 127.0.0.1 sends its own Host.
    // (fetch drops a Host header it is given, so this one goes through undici's request.)
    const rebound = await request(`${u}/v1/runs`, { headers: { ...auth, host: "evil.example:8288" } });
    await rebound.body.dump();
    expect(rebound.statusCode).toBe(403);
  });

  it("refuses text/plain and form bodies from pages (no preflight needed), and on the management API from anyone", async () => {
    const u = r.engine.url;
    const body = JSON.stringify([{ name: "k/other", data: {} }]);
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      // The event API reads them as JSON, as Inngest does (curl -d, fetch with a string)…
      expect(await call(`${u}/e/${EVENT_KEY}`, { method: "POST", headers: { "content-type": type }, body })).toBe(200);
      // …unless a page sent them: its Origin or Sec-Fetch-Site gives it away.
      const page = { "content-type": type, origin: "http://evil.example" };
      expect(await call(`${u}/e/${EVENT_KEY}`, { method: "POST", headers: page, body })).toBe(403);
      const framed = { "content-type": type, "sec-fetch-site": "same-site" };
      expect(await call(`${u}/e/${EVENT_KEY}`, { method: "POST", headers: framed, body })).toBe(403);
    }
    expect(
      await call(`${u}/v1/runs/cancel`, {
        method: "POST",
        headers: { "content-type": "text/plain", authorization: `Bearer ${KEY}` },
        body: '{"function_id":"keyed-wait"}',
      }),
    ).toBe(415);
    expect((await r.engine.api.runs.list({ functionSlug: "keyed-wait" })).data[0]?.status).toBe("Running");
  });
});

/** `npm run engine` alone stays open like the Dev Server, but still refuses browsers and non-JSON management calls. */
describe("engine API without requireKeys", () => {
  it("is open to local tools and closed to pages", async () => {
    const engine = await startEngine();
    try {
      expect(await call(`${engine.url}/v1/runs`)).toBe(200);
      expect(await call(`${engine.url}/v1/runs`, { headers: { origin: "https://evil.example" } })).toBe(403);
      expect(await call(`${engine.url}/e/k`, { method: "POST", headers: { "content-type": "text/plain" }, body: "[]" })).toBe(200);
      const page = { "content-type": "text/plain", "sec-fetch-site": "cross-site" };
      expect(await call(`${engine.url}/e/k`, { method: "POST", headers: page, body: "[]" })).toBe(403);
      expect(await call(`${engine.url}/v1/runs/cancel`, { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" })).toBe(
        415,
      );
    } finally {
      await engine.stop(500);
    }
  });

  it("cannot be started with requireKeys but no keys", async () => {
    await expect(startEngine({ requireKeys: true, signingKey: KEY })).rejects.toThrow(/event key/);
  });
});

describe("an ended run stays as it was", () => {
  it("(sanity) a keyed engine completes a run triggered through the keyed event API", async () => {
    const keyed = await rig(
      "keyed2",
      (inngest) => [inngest.createFunction({ id: "ok", triggers: [{ event: "k2/go" }] }, async () => "done")],
      { signingKey: KEY, eventKeys: [EVENT_KEY], requireKeys: true },
      { signingKey: KEY, eventKey: EVENT_KEY, isDev: true },
    );
    try {
      await keyed.client.send({ name: "k2/go", data: {} });
      const [run] = await endedRuns(keyed.engine, "keyed2-ok");
      expect(run?.output).toBe("done");
    } finally {
      await keyed.stop();
    }
  });
});
