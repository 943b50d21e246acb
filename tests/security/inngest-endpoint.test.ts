import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, sign } from "../../engine/src/protocol/signing.js";
import { stackKeysPath } from "../../scripts/lib/stack-keys.js";
import { type LaunchedStack, launchFreshMachineStack } from "../support/launch-stack.js";

/**
 * The stack `npm start` launches: /api/inngest runs the SDK in cloud mode, so only requests the engine signed
 * with this installation's key run a step; the engine's management and event APIs need that installation's keys;
 * the URL the app registers does not follow a request's Host header.
 */
describe("npm start: the Inngest endpoint and the engine's API", () => {
  let stack: LaunchedStack;
  const dataDir = join(mkdtempSync(join(tmpdir(), "jobdeck-sec-")), "pglite");
  let keys: { signingKey: string; eventKey: string };

  beforeAll(async () => {
    stack = await launchFreshMachineStack(dataDir);
    keys = JSON.parse(readFileSync(stackKeysPath(dataDir), "utf8"));
  }, 300_000);
  afterAll(async () => stack?.kill(), 30_000);

  const forgedStep = {
    event: { name: "demo/task.requested", data: { taskId: "x", force: true }, id: "e1", ts: Date.now(), user: {} },
    events: [{ name: "demo/task.requested", data: { taskId: "x", force: true }, id: "e1", ts: Date.now(), user: {} }],
    steps: {},
    ctx: {
      run_id: "01FORGED",
      attempt: 0,
      max_attempts: 1,
      disable_immediate_execution: false,
      use_api: false,
      stack: { stack: [], current: 0 },
    },
    version: -1,
  };

  /** Both doors to the functions: Next.js's /api/inngest and the functions worker npm start serves the engine from. */
  const doors = () => {
    const worker = /functions {2}(\S+)/.exec(stack.output())?.[1];
    expect(worker).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/inngest$/);
    return [`${stack.baseUrl}/api/inngest`, worker as string];
  };

  it.each([0, 1])("refuses a step request the engine did not sign (no signature, or a wrong one), door %i", async (door) => {
    const url = `${doors()[door]}?fnId=jobdeck-demo-task&stepId=step`;
    for (const signature of [undefined, `t=${Math.floor(Date.now() / 1000)}&s=${"0".repeat(64)}`]) {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(signature ? { "x-inngest-signature": signature } : {}) },
        body: JSON.stringify(forgedStep),
      });
      expect(res.status).toBe(401);
      await res.body?.cancel();
    }
  });

  it.each([0, 1])("accepts a signed step request once: the same request sent again within its window is refused, door %i", async (door) => {
    const url = `${doors()[door]}?fnId=jobdeck-demo-task&stepId=step`;
    const body = canonicalJson({ ...forgedStep, ctx: { ...forgedStep.ctx, run_id: `01REPLAYED${door}` } });
    const headers = { "content-type": "application/json", "x-inngest-signature": sign(body, keys.signingKey) };
    const first = await fetch(url, { method: "POST", headers, body });
    await first.body?.cancel();
    expect(first.status).not.toBe(401);
    const again = await fetch(url, { method: "POST", headers, body });
    expect(again.status).toBe(401);
    expect(await again.text()).toMatch(/signature was already used/);
    // A new signature of the same body (as a real re-send is) still goes through.
    const resigned = await fetch(url, {
      method: "POST",
      headers: { ...headers, "x-inngest-signature": sign(body, keys.signingKey, Date.now() + 1000) },
      body,
    });
    await resigned.body?.cancel();
    expect(resigned.status).not.toBe(401);
  });

  it("sends a browser that opens the engine's address to the console's runs page; an API client gets JSON", async () => {
    const browser = await fetch(`${stack.engineUrl}/`, { headers: { accept: "text/html,*/*;q=0.8" }, redirect: "manual" });
    expect(browser.status).toBe(302);
    expect(browser.headers.get("location")).toBe(`${stack.baseUrl}/runs`);
    const api = await fetch(`${stack.engineUrl}/`);
    expect((await api.json()) as { name: string }).toMatchObject({ name: "jobdeck-engine" });
  });

  it("keeps the registered URL when a sync is asked for with another Host", async () => {
    const appUrls = async () => {
      const apps = await fetch(`${stack.engineUrl}/v1/apps`, { headers: { authorization: `Bearer ${keys.signingKey}` } });
      return ((await apps.json()) as { data: Array<{ url: string }> }).data.map((a) => a.url);
    };
    // npm start registers the functions worker (scripts/launcher/functions-worker.ts) with the engine.
    const registered = await appUrls();
    expect(registered).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/inngest$/)]);
    expect(stack.output()).toContain(`functions  ${registered[0]}`);
    const res = await request(`${stack.baseUrl}/api/inngest`, { method: "PUT", headers: { host: "attacker.example" } });
    await res.body.dump();
    expect(await appUrls()).toEqual(registered);
  });

  it("puts the engine's management API behind the signing key and its event API behind the event key", async () => {
    const u = stack.engineUrl;
    expect((await fetch(`${u}/v1/runs`)).status).toBe(401);
    expect(
      (
        await fetch(`${u}/v1/runs/cancel`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: '{"function_id":"jobdeck-demo-task"}',
        })
      ).status,
    ).toBe(401);
    expect((await fetch(`${u}/v1/runs`, { headers: { authorization: `Bearer ${keys.signingKey}` } })).status).toBe(200);
    const send = (key: string) =>
      fetch(`${u}/e/${key}`, { method: "POST", headers: { "content-type": "application/json" }, body: '[{"name":"x/y","data":{}}]' });
    expect((await send("NO_EVENT_KEY_SET")).status).toBe(401);
    expect((await send(keys.eventKey)).status).toBe(200);
    // A page in the browser is refused even before its key would be checked.
    expect(
      (await fetch(`${u}/v1/runs`, { headers: { authorization: `Bearer ${keys.signingKey}`, origin: "http://localhost:3000" } })).status,
    ).toBe(403);
    expect((await fetch(`${u}/health`)).status).toBe(200);
  });

  it("keeps the keys in a file only its owner can read", () => {
    const mode = statSync(stackKeysPath(dataDir)).mode & 0o777;
    expect(mode).toBe(0o600);
    expect(keys.signingKey).toMatch(/^signkey-local-[0-9a-f]{64}$/);
  });
});
