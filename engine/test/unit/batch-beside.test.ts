import { describe, expect, it } from "vitest";
import { addsOnlyItsOwnRows, emptyBatch, mergeBatch } from "../../src/store/batch.js";
import type { QueueItem, RunState } from "../../src/types.js";

/** Which journal batches may be written beside a flush under way, and how one joins the batch being gathered. */
const run = (id: string) => ({ id }) as RunState;
const item = (id: string, runId: string) => ({ id, runId }) as QueueItem;

function lone(runId = "r1") {
  const b = emptyBatch();
  b.events.push({ internalId: "e1" } as never);
  b.runInserts.set(runId, run(runId));
  b.items.set("i1", item("i1", runId));
  b.history.set("h1", { id: "h1", runId } as never);
  b.pauses.set("p1", { id: "p1", runId } as never);
  b.size = 5;
  return b;
}

describe("a batch written beside the flush under way", () => {
  it("may hold an event, the runs it starts and those runs' items, history and pauses, and the event's first marks", () => {
    expect(addsOnlyItsOwnRows(lone())).toBe(true);
    const marked = lone();
    marked.state.set("dedup\u0000fn:e1", { kind: "dedup", key: "fn:e1", value: 1 });
    marked.state.set("idempotency\u0000fn:k", { kind: "idempotency", key: "fn:k", value: 1 });
    expect(addsOnlyItsOwnRows(marked)).toBe(true);
  });

  it("may not update a run, delete an item or pause, name another run's rows, or touch shared state", () => {
    const cases: Array<(b: ReturnType<typeof emptyBatch>) => void> = [
      (b) => b.runUpdates.set("r0", run("r0")),
      (b) => b.items.set("i0", null),
      (b) => b.items.set("i0", item("i0", "r0")),
      (b) => b.pauses.set("p0", null),
      (b) => b.pauses.set("p0", { id: "p0", runId: "r0" } as never),
      (b) => b.memos.set("r0/h", { runId: "r0", hash: "h", seq: 0, memo: 1 }),
      (b) => b.history.set("h0", { id: "h0", runId: "r0" } as never),
      (b) => b.state.set("k", { kind: "ratelimit", key: "k", value: 1 }),
      (b) => b.state.set("k", { kind: "dedup", key: "k", deleted: true }),
    ];
    for (const add of cases) {
      const b = lone();
      add(b);
      expect(addsOnlyItsOwnRows(b)).toBe(false);
    }
  });

  it("otherwise joins the batch being gathered as if written there: later rows win, a run's insert carries its update", () => {
    const gathering = emptyBatch();
    gathering.runInserts.set("r0", run("r0"));
    gathering.items.set("i1", item("i1", "old"));
    gathering.size = 2;
    const later = lone();
    later.runUpdates.set("r0", run("r0"));
    later.runUpdates.set("r9", run("r9"));
    const waiter = { resolve: () => {}, reject: () => {} };
    later.waiters.push(waiter);
    mergeBatch(gathering, later);
    expect(gathering.items.get("i1")?.runId).toBe("r1");
    expect([...gathering.runUpdates.keys()]).toEqual(["r9"]);
    expect([...gathering.runInserts.keys()]).toEqual(["r0", "r1"]);
    expect(gathering.events).toHaveLength(1);
    expect(gathering.waiters).toEqual([waiter]);
    expect(gathering.size).toBe(7);
  });
});
