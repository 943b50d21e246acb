import { isDeepStrictEqual } from "node:util";
import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRunsOf, type Rig, rig, runsOf } from "../support/harness.js";

/**
 * Step and function outputs come back exactly as the SDK sent them, as on Inngest (state is JSON in Redis there),
 * though jsonb cannot hold a NUL (\u0000) or half a surrogate pair: the engine escapes such strings on the way in and
 * restores them on the way out, in the memos sent back to the SDK, the run API's output, the trace and the
 * `inngest/function.finished` event. Strings that merely look like the escaping (U+FFFF, the escape character) come
 * back as they were too.
 */
const ODD = {
  nul: "before\u0000after",
  nuls: "\u0000\u0000",
  key: { "k\u0000ey": "value with a key holding NUL" },
  escape: "\uffff0 \uffff\uffff \uffffu0041 \uffff",
  leading: "\uffff\u0000",
  half: "cut \ud83d here",
  low: "\ude00 alone",
  emoji: "whole \ud83d\ude00 emoji",
  list: ["\u0000", "plain", { deep: "a\u0000b" }],
};

describe("strings jsonb cannot hold, in outputs", () => {
  let r: Rig;
  const seenInB: unknown[] = [];

  beforeAll(async () => {
    r = await rig("exact", (inngest) => [
      inngest.createFunction({ id: "odd", retries: 0, triggers: [{ event: "exact/go" }] }, async ({ step }) => {
        const a = await step.run("a", () => ODD);
        // The run sleeps between the steps (long enough to leave the engine's memory), so the memo of `a` that
        // step b reads comes back from the database.
        await step.sleep("nap", "3s");
        const b = await step.run("b", () => {
          seenInB.push(a);
          return { sameInB: isDeepStrictEqual(a, ODD), text: a.nul };
        });
        return { a, b };
      }),
      inngest.createFunction({ id: "nul", retries: 0, triggers: [{ event: "exact/nul" }] }, async ({ step }) => {
        const made = await step.run("make", () => "x\u0000y");
        await step.sleep("nap", "3s");
        return step.run("read", () => `${made}|${made.length}`);
      }),
    ]);
  });
  afterAll(async () => r?.stop());

  it("a string holding NUL, read by the next step after a sleep and returned, is the same string", async () => {
    const { ids } = await r.client.send({ name: "exact/nul", data: {} });
    const [run] = await endedRunsOf(r.engine, "exact-nul", ids, 20_000);
    expect(run?.status, JSON.stringify(run?.error)).toBe("Completed");
    expect(run?.output).toBe("x\u0000y|3");
  });

  it("come back exactly: in the next step's memo, the function output, the trace and function.finished", async () => {
    const { ids } = await r.client.send({ name: "exact/go", data: {} });
    const asleep = await until("the run asleep and out of memory", async () => {
      const mine = (await runsOf(r.engine, "exact-odd")).find((x) => x.event_id === ids[0]);
      return mine?.waiting?.reason.startsWith("sleeping") && !r.engine.ctx.runs.get(mine.run_id as string) && mine;
    });
    const [run] = await endedRunsOf(r.engine, "exact-odd", ids, 20_000);
    expect(run?.run_id).toBe(asleep.run_id);
    expect(run?.status, JSON.stringify(run?.error)).toBe("Completed");
    expect(seenInB.at(-1)).toEqual(ODD);
    expect(run?.output).toEqual({ a: ODD, b: { sameInB: true, text: "before\u0000after" } });
    expect((run?.output as { b?: { text?: string } } | undefined)?.b?.text).toBe("before\u0000after");
    const stepA = run?.steps.find((s) => s.name === "a" && s.status === "completed");
    expect(stepA?.output).toEqual(ODD);
    const finished = await r.engine.api.events.list({ name: "inngest/function.finished" });
    const mine = finished.data.find((e) => (e.data as { run_id?: string }).run_id === run?.run_id);
    expect((mine?.data as { result?: unknown } | undefined)?.result).toEqual({ a: ODD, b: { sameInB: true, text: "before\u0000after" } });
  });
});
