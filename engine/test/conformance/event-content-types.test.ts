import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRunsOf, type Rig, rig } from "../support/harness.js";

/**
 * `POST /e/:key` reads its body as JSON whatever it is labelled, as Inngest's event API does
 * (pkg/eventstream/eventstream.go ParseStream at 253303c: JSON first, whatever the content-type). Inngest's docs
 * send events with `curl -X POST …/e/$KEY -d '{…}'`, which labels the body application/x-www-form-urlencoded, and
 * `fetch` with a string body labels it text/plain. What a browser page could send that way (no preflight) is
 * refused by the page's own `Origin` / `Sec-Fetch-Site` headers instead: 403, nothing stored.
 */
describe("event API content types", () => {
  let r: Rig;

  beforeAll(async () => {
    r = await rig("ctype", (inngest) => [
      inngest.createFunction({ id: "echo", retries: 0, triggers: [{ event: "ctype/go" }] }, async ({ event, step }) => {
        const via = await step.run("read", () => event.data.via as string);
        return { via };
      }),
    ]);
  });
  afterAll(async () => r?.stop());

  const body = (via: string) => JSON.stringify({ name: "ctype/go", data: { via } });

  /** Sends a raw body with exactly these headers (undici adds no content-type of its own). */
  async function send(payload: string, headers: Record<string, string>) {
    const res = await request(`${r.engine.url}/e/anykey`, { method: "POST", body: payload, headers });
    return { status: res.statusCode, json: (await res.body.json()) as { ids?: string[]; status?: number; error?: string } };
  }

  /** The run the event started, once it ended. */
  async function outputOf(ids: string[] | undefined) {
    expect(ids).toHaveLength(1);
    const [run] = await endedRunsOf(r.engine, "ctype-echo", ids as string[]);
    expect(run?.status).toBe("Completed");
    return run?.output;
  }

  it("takes curl's default form content type (curl -X POST -d '{…}')", async () => {
    const res = await send(body("curl"), { "content-type": "application/x-www-form-urlencoded" });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe(200);
    expect(await outputOf(res.json.ids)).toEqual({ via: "curl" });
  });

  it("takes text/plain, what fetch sends for a string body", async () => {
    const sent = await fetch(`${r.engine.url}/e/anykey`, { method: "POST", body: body("fetch") });
    const json = (await sent.json()) as { ids: string[]; status: number };
    expect(sent.status).toBe(200);
    expect(await outputOf(json.ids)).toEqual({ via: "fetch" });
  });

  it("takes a body with no content type at all, or one no parser reads", async () => {
    const res = await send(body("bare"), {});
    expect(res.status).toBe(200);
    expect(await outputOf(res.json.ids)).toEqual({ via: "bare" });
    const odd = await send(body("odd"), { "content-type": "json" });
    expect(odd.status).toBe(200);
    expect(await outputOf(odd.json.ids)).toEqual({ via: "odd" });
  });

  it("answers a body that is not JSON with a 400 saying so, whatever its label", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/json"]) {
      const res = await send("name=ctype/go&data=x", { "content-type": type });
      expect(res.status, type).toBe(400);
      expect(res.json.error, type).toMatch(/not JSON/);
    }
  });

  it("refuses a non-JSON body a browser page sent cross-site with a clear 403, storing nothing", async () => {
    const before = (await r.engine.api.events.list({ name: "ctype/go" })).data.length;
    const attempts: Array<Record<string, string>> = [
      { "content-type": "text/plain;charset=UTF-8", "sec-fetch-site": "cross-site" },
      { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      { "content-type": "multipart/form-data; boundary=x", origin: "null" },
    ];
    for (const headers of attempts) {
      const res = await send(body("page"), headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.json.error).toMatch(/browser page/);
      expect(res.json.error).toMatch(/body/);
    }
    expect((await r.engine.api.events.list({ name: "ctype/go" })).data).toHaveLength(before);
  });
});
