import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine.js";
import { endedRunsOf, post, startEngine } from "../support/harness.js";
import { createClient, startApp, type TestApp } from "../support/sdk-app.js";

/**
 * A proxy's error page in front of the app (a 504 when the function outlived the proxy's timeout, Vercel's function
 * timeout, a 502 when the app crashed on the request) is a failed attempt on Inngest: with `retries: 0` the run is
 * Failed, its error "Your server returned HTTP 504 before the SDK responded." with the page in the stack
 * (tests/golang/non_json_output_test.go TestNonJSONOutput, state.FatalUpstreamError at 253303c). An app that is
 * away (refused, reset, or a bare 502/503 while a dev server restarts) is still held without spending attempts.
 */

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server | undefined): Promise<void> {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
}

/** A proxy in front of `target`: execution requests (POST with fnId) get `answer` while it returns one, the rest pass. */
function proxyTo(target: string, answer: () => { status: number; type?: string; body: string } | undefined) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const own = req.method === "POST" && req.url?.includes("fnId=") ? answer() : undefined;
    if (own) {
      res.writeHead(own.status, own.type ? { "content-type": own.type } : {});
      res.end(own.body);
      return;
    }
    const headers = { ...req.headers };
    delete headers.host;
    delete headers["content-length"];
    const method = req.method as "GET";
    const up = await request(`${target}${req.url}`, { method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && k !== "transfer-encoding") out[k] = String(v);
    res.writeHead(up.statusCode, out);
    res.end(Buffer.from(await up.body.arrayBuffer()));
  };
}

describe("a gateway's error page instead of the SDK's answer", () => {
  let engine: Engine;
  let app: TestApp | undefined;
  let proxy: Server | undefined;

  beforeAll(async () => {
    engine = await startEngine();
  });
  afterEach(async () => {
    await close(proxy);
    await app?.close();
    proxy = undefined;
    app = undefined;
  });
  afterAll(async () => engine?.stop(100));

  it("fails the attempt: a 504 HTML page from a server that is not the SDK fails a run with retries: 0", async () => {
    const page = "<html><body><h1>504 Gateway Time-out</h1></body></html>";
    const gateway = await listen((req, res) => {
      req.resume();
      res.writeHead(504, { "content-type": "text/html" });
      res.end(page);
    });
    proxy = gateway.server;
    const url = `${gateway.url}/api/inngest`;
    const step = { id: "step", name: "step", runtime: { type: "http", url: `${url}?fnId=gw-f&stepId=step` }, retries: { attempts: 0 } };
    const fn = { id: "gw-f", name: "f", triggers: [{ event: "gw/go" }], steps: { step } };
    expect((await post(`${engine.url}/fn/register`, { url, appName: "gw", functions: [fn] })).status).toBe(200);
    const sent = await post(`${engine.url}/e/k`, [{ name: "gw/go", data: {} }]);
    const [run] = await endedRunsOf(engine, "gw-f", sent.json.ids, 10_000);
    expect(run?.status).toBe("Failed");
    expect(run?.error).toMatchObject({
      name: "Server returned a fatal error",
      message: "Your server returned HTTP 504 before the SDK responded.",
    });
    expect((run?.error as { stack?: string } | undefined)?.stack).toContain(`Upstream response (text/html):\n${page}`);
    expect(run?.steps.filter((s) => s.kind === "function")).toHaveLength(1);
  });

  it("fails the attempt: the SDK app behind a proxy answering 502 HTML to its execution requests", async () => {
    const client = createClient("gwsdk", engine.url);
    app = await startApp(client, [
      client.createFunction({ id: "f", retries: 0, triggers: [{ event: "gwsdk/go" }] }, async ({ step }) => step.run("a", () => "ran")),
    ]);
    const gateway = await listen(proxyTo(app.url, () => ({ status: 502, type: "text/html", body: "<html>502 Bad Gateway</html>" })));
    proxy = gateway.server;
    expect((await engine.apps.syncUrl(`${gateway.url}/api/inngest`)).ok).toBe(true);
    const { ids } = await client.send({ name: "gwsdk/go", data: {} });
    const [run] = await endedRunsOf(engine, "gwsdk-f", ids, 10_000);
    expect(run?.status).toBe("Failed");
    expect((run?.error as { message?: string } | undefined)?.message).toContain("HTTP 502");
  });

  it("holds a request the connection drops under only a few times while the app answers its probes, then counts it", async () => {
    // An app that crashes on this request and is restarted at once: the probe passes each time, the request never
    // does. Held for ever, the run would never end and never spend an attempt.
    let dropped = 0;
    const crashing = await listen((req, res) => {
      if (req.method === "POST") {
        dropped++;
        req.socket.destroy();
        return;
      }
      res.end("ok");
    });
    proxy = crashing.server;
    const url = `${crashing.url}/api/inngest`;
    const step = { id: "step", name: "step", runtime: { type: "http", url: `${url}?fnId=crash-f&stepId=step` }, retries: { attempts: 0 } };
    const fn = { id: "crash-f", name: "f", triggers: [{ event: "crash/go" }], steps: { step } };
    expect((await post(`${engine.url}/fn/register`, { url, appName: "crash", functions: [fn] })).status).toBe(200);
    const sent = await post(`${engine.url}/e/k`, [{ name: "crash/go", data: {} }]);
    const [run] = await endedRunsOf(engine, "crash-f", sent.json.ids, 10_000);
    expect(run?.status).toBe("Failed");
    expect((run?.error as { message?: string } | undefined)?.message).toMatch(/^app unreachable: /);
    expect(dropped).toBeGreaterThan(1);
  });

  it("still holds an app a restarting dev server answers for with a bare 503: no attempt spent", async () => {
    const client = createClient("gwbare", engine.url);
    app = await startApp(client, [
      client.createFunction({ id: "f", retries: 0, triggers: [{ event: "gwbare/go" }] }, async ({ step }) => step.run("a", () => "ran")),
    ]);
    let bare = 2;
    const gateway = await listen(proxyTo(app.url, () => (bare-- > 0 ? { status: 503, body: "" } : undefined)));
    proxy = gateway.server;
    expect((await engine.apps.syncUrl(`${gateway.url}/api/inngest`)).ok).toBe(true);
    const { ids } = await client.send({ name: "gwbare/go", data: {} });
    const [run] = await endedRunsOf(engine, "gwbare-f", ids, 10_000);
    expect(run?.status).toBe("Completed");
    expect(run?.output).toBe("ran");
    expect(bare).toBeLessThan(0);
  });
});
