import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wantsHtml } from "../../src/api/root-page.js";
import type { Engine } from "../../src/engine.js";
import { resolveOptions } from "../../src/options.js";
import { startEngine } from "../support/harness.js";

/**
 * The engine's address opened in a browser, as one opens the Inngest Dev Server's: the console when the launcher gave
 * one, a page of the engine's links when it runs alone; API clients (curl, fetch) keep getting JSON.
 */
const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

describe("GET / of the engine", () => {
  let withConsole: Engine;
  let alone: Engine;

  beforeAll(async () => {
    withConsole = await startEngine({ consoleUrl: "http://localhost:3000/" });
    alone = await startEngine();
  });
  afterAll(async () => {
    await withConsole?.stop(1000);
    await alone?.stop(1000);
  });

  it("sends a browser to the console's runs page when the engine knows the console", async () => {
    const res = await fetch(`${withConsole.url}/`, { headers: { accept: BROWSER }, redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("http://localhost:3000/runs");
  });

  it("shows a browser a page of the engine's links when it runs alone", async () => {
    const res = await fetch(`${alone.url}/`, { headers: { accept: BROWSER }, redirect: "manual" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    for (const href of ["/health", "/v1/functions", "/v1/runs", "/metrics"]) expect(html).toContain(`href="${href}"`);
  });

  it("answers API clients with JSON as before: no Accept, */*, application/json", async () => {
    for (const accept of [undefined, "*/*", "application/json", "application/json, text/html"]) {
      const res = await fetch(`${withConsole.url}/`, { headers: accept ? { accept } : {}, redirect: "manual" });
      expect(res.status, String(accept)).toBe(200);
      expect(await res.json()).toEqual({ name: "jobdeck-engine", protocol: "inngest", docs: "engine/README.md" });
    }
  });

  it("tells HTML-first requests from the rest, and refuses a console address that is not an http(s) URL", () => {
    expect(wantsHtml(BROWSER)).toBe(true);
    expect(wantsHtml("text/html")).toBe(true);
    expect(wantsHtml("*/*")).toBe(false);
    expect(wantsHtml("application/json;q=1, text/html")).toBe(false);
    expect(wantsHtml(undefined)).toBe(false);
    expect(() => resolveOptions({ databaseUrl: "postgres://x/y", consoleUrl: "javascript:alert(1)" })).toThrow(/not an http\(s\) URL/);
    expect(() => resolveOptions({ databaseUrl: "postgres://x/y", consoleUrl: "not a url" })).toThrow(/is not a URL/);
  });
});
