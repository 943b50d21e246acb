import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LaunchedStack, launchFreshMachineStack } from "../support/launch-stack.js";

/**
 * Cross-site request forgery against `npm start`: a page on another site can make the browser POST to the API
 * with the user's cookies, but only with a form-like body (text/plain, urlencoded, multipart) or marked cross-site
 * by the browser. Both are refused before any route runs; JSON from this origin, and any call with a bearer token,
 * go through. (The development identity stands in for a cookie session: it needs no credentials at all.)
 */
describe("npm start: cross-site and non-JSON requests", () => {
  let stack: LaunchedStack;
  const dataDir = join(mkdtempSync(join(tmpdir(), "jobdeck-csrf-")), "pglite");
  beforeAll(async () => {
    stack = await launchFreshMachineStack(dataDir);
  }, 300_000);
  afterAll(async () => stack?.kill(), 30_000);

  const post = async (path: string, body: string | undefined, headers: Record<string, string>) => {
    const res = await fetch(`${stack.baseUrl}${path}`, { method: "POST", headers, body });
    const text = await res.text();
    return { status: res.status, text };
  };
  const jobCount = async () => ((await (await fetch(`${stack.baseUrl}/api/dashboard`)).json()) as { jobs: { total: number } }).jobs.total;
  const demo = JSON.stringify({ type: "demo-task", payload: {} });

  it("refuses form-like bodies with 415, creating nothing", async () => {
    const before = await jobCount();
    for (const type of ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await post("/api/jobs", demo, { "content-type": type });
      expect(res.status, type).toBe(415);
      expect(res.text).toMatch(/must be JSON/);
    }
    const trpc = await post("/api/trpc/job.create", JSON.stringify({ type: "demo-task", payload: {} }), { "content-type": "text/plain" });
    expect(trpc.status).toBe(415);
    expect(await jobCount()).toBe(before);
  });

  it("refuses requests a browser marks as cross-site, or that come from another origin", async () => {
    const before = await jobCount();
    const json = { "content-type": "application/json" };
    expect((await post("/api/jobs", demo, { ...json, "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await post("/api/jobs", demo, { ...json, "sec-fetch-site": "same-site" })).status).toBe(403);
    expect((await post("/api/jobs", demo, { ...json, origin: "https://evil.example" })).status).toBe(403);
    expect((await post("/api/jobs", demo, { ...json, origin: "null" })).status).toBe(403);
    expect((await post("/api/trpc/job.create", demo, { ...json, origin: "https://evil.example" })).status).toBe(403);
    expect((await post("/api/credits", '{"amount":5}', { ...json, "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect(await jobCount()).toBe(before);
  });

  it("lets this origin's JSON and bearer-token clients through", async () => {
    const json = { "content-type": "application/json" };
    expect((await post("/api/jobs", demo, { ...json, origin: stack.baseUrl, "sec-fetch-site": "same-origin" })).status).toBe(202);
    expect((await post("/api/jobs", demo, json)).status).toBe(202);
    // A bearer token cannot be attached by a cross-site page, so such a call is not a forgery.
    expect((await post("/api/jobs", demo, { ...json, authorization: "Bearer some-token", origin: "https://ci.example" })).status).toBe(202);
  });

  it("bounds tRPC batches", async () => {
    const paths = (n: number) => Array.from({ length: n }, () => "ping").join(",");
    const input = (n: number) => encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, {}]))));
    const ok = await fetch(`${stack.baseUrl}/api/trpc/${paths(20)}?batch=1&input=${input(20)}`);
    expect(ok.status).toBe(200);
    const tooMany = await fetch(`${stack.baseUrl}/api/trpc/${paths(21)}?batch=1&input=${input(21)}`);
    expect(tooMany.status).toBe(400);
    expect(await tooMany.text()).toMatch(/batch/i);
  });

  it("stops reading a chunked body at the 1 MB limit: 413 from tRPC and REST, nothing created", async () => {
    const before = await jobCount();
    for (const path of ["/api/trpc/job.create", "/api/jobs"]) {
      // No Content-Length: valid JSON, then 20 MB of spaces in 64 KB chunks (JSON still, were it read whole).
      async function* body() {
        yield Buffer.from(JSON.stringify({ type: "demo-task", payload: {} }));
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        for (let sent = 0; sent < 20 * 1024 * 1024; sent += chunk.length) yield chunk;
      }
      const res = await request(`${stack.baseUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: Readable.from(body()),
      }).catch((err: Error) => err);
      if (res instanceof Error) throw res;
      expect(res.statusCode, path).toBe(413);
      expect(await res.body.text()).toMatch(/at most 1048576 bytes/);
    }
    expect(await jobCount()).toBe(before);
  });
});
