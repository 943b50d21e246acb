import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRuns, type Rig, rig } from "../support/harness.js";

/**
 * What a runs explorer asks of `GET /v1/runs` beyond Inngest's filters: text in the triggering event or the output,
 * runs whose event data contains an object (a tenant's `{orgId}`), and the invoke links between runs.
 */
describe("runs explorer filters and links", () => {
  let r: Rig;

  beforeAll(async () => {
    r = await rig("rx", (inngest) => {
      const child = inngest.createFunction({ id: "child", triggers: [{ event: "rx/child" }] }, async ({ event }) => ({
        doubled: (event.data as { n: number }).n * 2,
      }));
      return [
        child,
        inngest.createFunction({ id: "parent", triggers: [{ event: "rx/go" }] }, async ({ event, step }) => {
          const out = await step.invoke("call-child", { function: child, data: { n: 21 } });
          return { note: `for ${(event.data as { who: string }).who}`, total: out.doubled };
        }),
      ];
    });
    await r.client.send([
      { name: "rx/go", data: { orgId: "acme", who: "ada@example.com" } },
      { name: "rx/go", data: { orgId: "globex", who: "50%_off" } },
    ]);
    await endedRuns(r.engine, "rx-parent", 2);
    await endedRuns(r.engine, "rx-child", 2);
  });
  afterAll(async () => r?.stop());

  const list = async (query: string) => {
    const res = await fetch(`${r.engine.url}/v1/runs?${query}`);
    return { status: res.status, json: (await res.json()) as { data: Array<Record<string, unknown>>; error?: string } };
  };

  it("finds runs by text in the event or the output, matching % and _ literally", async () => {
    const byEvent = await list(`function_id=rx-parent&q=${encodeURIComponent("ADA@example")}`);
    expect(byEvent.json.data.map((x) => (x.output as { note: string }).note)).toEqual(["for ada@example.com"]);
    const literal = await list(`q=${encodeURIComponent("50%_")}`);
    expect(literal.json.data).toHaveLength(1);
    expect((await list(`q=${encodeURIComponent("5_%o")}`)).json.data).toHaveLength(0);
    // The output too: only the children's outputs hold "doubled".
    const byOutput = await list("q=doubled");
    expect(byOutput.json.data.map((x) => x.function_id)).toEqual(["rx-child", "rx-child"]);
  });

  it("keeps to runs whose event data contains an object", async () => {
    const acme = await list(`event_data=${encodeURIComponent(JSON.stringify({ orgId: "acme" }))}`);
    expect(acme.json.data.map((x) => x.function_id)).toEqual(["rx-parent"]);
    expect((await list(`event_data=${encodeURIComponent(JSON.stringify({ orgId: "nobody" }))}`)).json.data).toEqual([]);
  });

  it("links an invoked run to its parent, and the parent to the runs it invoked", async () => {
    const children = (await list("function_id=rx-child")).json.data;
    const parents = (await list("function_id=rx-parent")).json.data;
    expect(new Set(children.map((c) => c.parent_run_id))).toEqual(new Set(parents.map((p) => p.run_id)));
    const one = (await (await fetch(`${r.engine.url}/v1/runs/${parents[0]?.run_id}`)).json()) as {
      data: { invoked: Array<{ run_id: string; name: string }> };
    };
    expect(one.data.invoked).toHaveLength(1);
    expect(children.map((c) => c.run_id)).toContain(one.data.invoked[0]?.run_id);
    expect(one.data.invoked[0]?.name).toBe("call-child");
  });

  it("refuses a malformed event_data or an overlong q, naming the parameter", async () => {
    const bad = await list("event_data=%7Bnope");
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/event_data: not JSON/);
    expect((await list("event_data=%5B1%5D")).json.error).toMatch(/event_data: must be a JSON object/);
    const nul = await list(`event_data=${encodeURIComponent('{"orgId":"a\\u0000b"}')}`);
    expect(nul.status).toBe(400);
    expect(nul.json.error).toMatch(/^event_data\.orgId: /);
    expect((await list("q=a%00b")).status).toBe(400);
    const long = await list(`q=${"x".repeat(201)}`);
    expect(long.status).toBe(400);
    expect(long.json.error).toMatch(/q: at most 200/);
  });
});
