import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine.js";
import { endedRunsOf, startEngine } from "../support/harness.js";
import { createClient, startApp, type TestApp } from "../support/sdk-app.js";

/**
 * An app whose serve URL answers 307/308 (a moved route, a platform in front of it): Inngest's HTTP client follows
 * up to 60 redirects, re-sending the body and headers and keeping the original query parameters
 * (inngest/inngest pkg/execution/exechttp/exechttp.go CheckRedirect, 253303c), on sync and on every execution.
 */
describe("redirects from the app", () => {
  let engine: Engine;
  let app: TestApp;
  let mover: Server;
  let moverUrl: string;
  const seen: string[] = [];

  beforeAll(async () => {
    engine = await startEngine();
    const client = createClient("moved", engine.url);
    app = await startApp(client, [
      client.createFunction({ id: "two-steps", retries: 0, triggers: [{ event: "moved/go" }] }, async ({ event, step }) => {
        const a = await step.run("a", () => event.data.n + 1);
        const b = await step.run("b", () => a * 2);
        return { b };
      }),
    ]);
    // /old answers 307 to /older, which answers 308 to the app: two hops, both kinds.
    mover = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const target = req.url?.startsWith("/old?") || req.url === "/old" ? `/older${req.url.slice(4)}` : app.url;
      res.statusCode = req.url?.startsWith("/old") && !req.url.startsWith("/older") ? 307 : 308;
      res.setHeader("location", req.url?.startsWith("/older") ? target.replace(/\?.*$/, "") : target);
      res.end();
      req.resume();
    });
    await new Promise<void>((resolve) => mover.listen(0, "127.0.0.1", resolve));
    moverUrl = `http://127.0.0.1:${(mover.address() as AddressInfo).port}/old`;
  });

  afterAll(async () => {
    mover?.closeAllConnections();
    await new Promise((resolve) => mover?.close(resolve));
    await app?.close();
    await engine?.stop(1000);
  });

  it("syncs through the redirects and runs every request through them, with the body and query kept", async () => {
    const sync = await engine.apps.syncUrl(moverUrl);
    expect(sync.ok, sync.error).toBe(true);
    const sent = await fetch(`${engine.url}/e/k`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "moved/go", data: { n: 20 } }),
    });
    const { ids } = (await sent.json()) as { ids: string[] };
    const [run] = await endedRunsOf(engine, "moved-two-steps", ids);
    expect(run?.status).toBe("Completed");
    expect(run?.output).toEqual({ b: 42 });
    // The execution request went through both hops, its fnId/stepId query arriving at the app.
    expect(seen.some((s) => s.startsWith("POST /old?") && s.includes("fnId="))).toBe(true);
    expect(seen.some((s) => s.startsWith("POST /older?") && s.includes("fnId="))).toBe(true);
  });
});
