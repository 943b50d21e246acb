import { createDefer } from "inngest/experimental";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRunsOf, type Rig, rig, runsOf } from "../support/harness.js";

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
    // The parent's end starts its companions in the same unit of work (runs/lifecycle.ts scheduleDefers), so once
    // the parent shows as ended, every companion it will ever start exists: the kept one, and no run for the other.
    const companions = await runsOf(r.engine, "dfr-companion");
    const views = await Promise.all(companions.map(async (c) => (await r.engine.api.runs.get(c.run_id as string)).data));
    const input = (v: (typeof views)[number]) => (v.events[0]?.data ?? {}) as { tag?: string; which?: string };
    const mineRuns = views.filter((v) => input(v).tag === tag);
    expect(mineRuns.map((v) => input(v).which)).toEqual(["kept"]);
    await endedRunsOf(
      r.engine,
      "dfr-companion",
      mineRuns.map((v) => v.event_id as string),
    );
    const mine = seen.filter((s) => (s.input as { tag?: string }).tag === tag);
    expect(mine.map((s) => s.input)).toEqual([{ tag, which: "kept" }]);
    expect(mine[0]?.parents).toEqual([expect.objectContaining({ runId: parent?.run_id, fnSlug: "dfr-parent" })]);
  });

  it("started one companion per parent run, no more", async () => {
    const companions = (await runsOf(r.engine, "dfr-companion")).length;
    expect(companions).toBe(2);
  });
});
