import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRuns, endedRunsOf, post, type Rig, rig } from "../support/harness.js";

/**
 * Event sessions (`event.meta`, `ctx.sessions`, SDK ≥ 4.18) carried the way Inngest carries them (inngest/inngest at
 * 253303c, pkg/event/sessions.go and pkg/execution/executor handleGeneratorInvokeFunction): a sent event keeps its
 * `meta.sessions`; a run's sessions flow into what it sends (`step.sendEvent`, `client.send()` inside a step,
 * `step.invoke`) through the SDK's propagated layer, which the engine merges under the sender's own keys.
 */
describe("event sessions", () => {
  let r: Rig;
  const seen = new Map<string, unknown>();

  beforeAll(async () => {
    r = await rig("ses", (inngest) => {
      const child = inngest.createFunction({ id: "child", triggers: [{ event: "ses/child" }] }, async ({ event, sessions }) => {
        seen.set(`child:${event.data.tag}`, sessions);
        return event.data.tag;
      });
      return [
        child,
        inngest.createFunction({ id: "parent", triggers: [{ event: "ses/parent" }] }, async ({ event, sessions, step }) => {
          seen.set(`parent:${event.data.tag}`, { sessions, meta: (event as { meta?: unknown }).meta });
          await step.sendEvent("fan-out", [
            { name: "ses/child", data: { tag: `${event.data.tag}-sent` } },
            { name: "ses/child", data: { tag: `${event.data.tag}-override` }, meta: { sessions: { user: "u-other", tenant: null } } },
          ]);
          await step.run("send-inside", () => inngest.send({ name: "ses/child", data: { tag: `${event.data.tag}-inner` } }));
          await step.invoke("call", { function: child, data: { tag: `${event.data.tag}-invoked` } });
          return "done";
        }),
        inngest.createFunction(
          { id: "batched", batchEvents: { maxSize: 2, timeout: "5s" }, triggers: [{ event: "ses/batch" }] },
          async ({ sessions }) => {
            seen.set("batch", sessions);
            return "ok";
          },
        ),
      ];
    });
  });
  afterAll(async () => r?.stop());

  it("keeps a sent event's sessions, and its runs and everything they send or invoke carry them", async () => {
    const { ids } = await r.client.send({ name: "ses/parent", data: { tag: "a" }, meta: { sessions: { user: "u1", tenant: 7 } } });
    const [run] = await endedRunsOf(r.engine, "ses-parent", ids);
    expect(run?.status, JSON.stringify(run)).toBe("Completed");
    expect(seen.get("parent:a")).toEqual({ sessions: { user: "u1", tenant: "7" }, meta: { sessions: { user: "u1", tenant: "7" } } });
    await endedRuns(r.engine, "ses-child", 4);
    expect(seen.get("child:a-sent")).toEqual({ user: "u1", tenant: "7" });
    // The sender's own keys win, and a null cuts the inherited one.
    expect(seen.get("child:a-override")).toEqual({ user: "u-other" });
    expect(seen.get("child:a-inner")).toEqual({ user: "u1", tenant: "7" });
    expect(seen.get("child:a-invoked")).toEqual({ user: "u1", tenant: "7" });
    const stored = await r.engine.api.events.get(ids[0] as string);
    expect((stored.data as { meta?: unknown }).meta).toEqual({ sessions: { user: "u1", tenant: "7" } });
  });

  it("fills free slots from the inherited layer in key order, at most five in all", async () => {
    const res = await post(`${r.engine.url}/e/k`, {
      name: "ses/child",
      data: { tag: "merge" },
      meta: { sessions: { m1: "x", m2: "y" }, propagated_sessions: { zz: "1", aa: "2", m1: "inherited", bb: "3", cc: "4" } },
    });
    expect(res.status).toBe(200);
    await endedRunsOf(r.engine, "ses-child", res.json.ids);
    expect(seen.get("child:merge")).toEqual({ m1: "x", m2: "y", aa: "2", bb: "3", cc: "4" });
  });

  it("gives a batch the sessions every one of its events shares", async () => {
    await r.client.send([
      { name: "ses/batch", data: {}, meta: { sessions: { user: "u1", tenant: "t1" } } },
      { name: "ses/batch", data: {}, meta: { sessions: { user: "u1", tenant: "t2" } } },
    ]);
    await endedRuns(r.engine, "ses-batched", 1);
    expect(seen.get("batch")).toEqual({ user: "u1" });
  });

  it("refuses bad sessions with a 400 naming the field, storing nothing", async () => {
    const before = (await r.engine.api.events.list({ limit: 500 })).data.length;
    const cases: [unknown, RegExp][] = [
      ["not-an-object", /event\.meta: must be an object/],
      [{ sessions: { user: true } }, /event\.meta\.sessions\.user: must be a string or number/],
      [{ propagated_sessions: { user: null } }, /event\.meta\.propagated_sessions\.user: must be a string or number/],
      [{ sessions: { a: "1", b: "2", c: "3", d: "4", e: "5", f: "6" } }, /at most 5 sessions/],
      [{ sessions: { user: "" } }, /event\.meta\.sessions\.user: the session id cannot be empty/],
      [{ sessions: { ["k".repeat(129)]: "1" } }, /longer than 128 bytes/],
    ];
    for (const [meta, message] of cases) {
      const res = await post(`${r.engine.url}/e/k`, { name: "ses/child", data: {}, meta });
      expect(res.status, JSON.stringify(meta)).toBe(400);
      expect(res.json.error).toMatch(message);
    }
    expect((await r.engine.api.events.list({ limit: 500 })).data.length).toBe(before);
  });
});
