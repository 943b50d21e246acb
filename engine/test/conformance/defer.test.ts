import { createDefer } from "inngest/experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRuns, endedRunsOf, type Rig, rig, runsOf } from "../support/harness.js";

/**
 * `defer()` as Inngest runs it (pkg/execution/defers, executor/finalize.go buildDeferEvents at 253303c): a DeferAdd
 * is kept with the run, a DeferAbort drops one, and when the run ends each live defer starts the companion
 * function through an `inngest/deferred.schedule` event, with `ctx.parents` naming the run.
 */
describe("defer()", () => {
  let r: Rig;
  const seen: { input: unknown; parents: unknown }[] = [];

  beforeAll(async () => {
    r = await rig("dfr", (inngest) => {
      const companion = createDefer(
        inngest,
        { id: "companion" },
        async ({ event, parents }: { event: { data: unknown }; parents?: unknown }) => {
          seen.push({ input: event.data, parents });
          return "companion ran";
        },
      );
      return [
        companion,
        inngest.createFunction({ id: "parent", retries: 0, triggers: [{ event: "dfr/go" }] }, async (ctx) => {
          const { event, step } = ctx;
          const defer = (ctx as unknown as { defer: (id: string, o: unknown) => { abort(): void } }).defer;
          defer("kept", { function: companion, data: { tag: event.data.tag, which: "kept" } });
          const dropped = defer("dropped", { function: companion, data: { tag: event.data.tag, which: "dropped" } });
          await step.run("work", () => "worked");
          dropped.abort();
          await step.run("more", () => "more");
          if (event.data.fail) throw new Error("parent fails");
          return "parent done";
        }),
      ];
    });
  });
  afterAll(async () => r?.stop());

  it.each([
    ["completes", false, "Completed"],
    ["fails", true, "Failed"],
  ])("starts the kept defer, not the aborted one, after the run %s", async (tag, fail, status) => {
    const { ids } = await r.client.send({ name: "dfr/go", data: { tag, fail } });
    const [parent] = await endedRunsOf(r.engine, "dfr-parent", ids);
    expect(parent?.status).toBe(status);
    const before = seen.length;
    await endedRuns(r.engine, "dfr-companion", tag === "completes" ? 1 : 2);
    await new Promise((res) => setTimeout(res, 500)); // an aborted defer would have started by now
    const mine = seen.filter((s) => (s.input as { tag?: string }).tag === tag);
    expect(mine.map((s) => s.input)).toEqual([{ tag, which: "kept" }]);
    expect(mine[0]?.parents).toEqual([expect.objectContaining({ runId: parent?.run_id, fnSlug: "dfr-parent" })]);
    expect(seen.length - before).toBeLessThanOrEqual(1);
  });

  it("started one companion per parent run, no more", async () => {
    const companions = (await runsOf(r.engine, "dfr-companion")).length;
    expect(companions).toBe(2);
  });
});
