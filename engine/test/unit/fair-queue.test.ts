import { describe, expect, it } from "vitest";
import { FairQueue } from "../../src/sched/fair-queue.js";

/** Fair scheduling's queue: deficit round-robin across tenants, weighted, priority inside a tenant. */
interface Item {
  tenant: string;
  n: number;
  score: number;
}

function queue(weights: Record<string, number> = {}) {
  return new FairQueue<Item>(
    (a, b) => a.score < b.score,
    (i) => i.tenant,
    (t) => weights[t] ?? 1,
  );
}

const items = (tenant: string, count: number, from = 0): Item[] =>
  Array.from({ length: count }, (_, i) => ({ tenant, n: i, score: from + i }));

function drain(q: FairQueue<Item>): string[] {
  const out: string[] = [];
  for (let item = q.pop(); item; item = q.pop()) out.push(`${item.tenant}${item.n}`);
  return out;
}

describe("FairQueue", () => {
  it("takes tenants in turn, one item each, whatever their backlog", () => {
    const q = queue();
    for (const i of [...items("a", 5), ...items("b", 2), ...items("c", 1)]) q.push(i);
    expect(drain(q)).toEqual(["a0", "b0", "c0", "a1", "b1", "a2", "a3", "a4"]);
  });

  it("gives a tenant of weight 2 twice the turns of a tenant of weight 1", () => {
    const q = queue({ a: 2 });
    for (const i of [...items("a", 6), ...items("b", 6)]) q.push(i);
    const order = drain(q)
      .slice(0, 9)
      .map((s) => s[0]);
    expect(order).toEqual(["a", "a", "b", "a", "a", "b", "a", "a", "b"]);
  });

  it("never holds back work: it gives an item whenever one waits, even from a single busy tenant", () => {
    const q = queue({ a: 3 });
    for (const i of items("b", 4)) q.push(i);
    expect(q.size).toBe(4);
    expect(drain(q)).toEqual(["b0", "b1", "b2", "b3"]);
    expect(q.pop()).toBeUndefined();
  });

  it("orders a tenant's own work by priority (score), not by arrival", () => {
    const q = queue();
    q.push({ tenant: "a", n: 1, score: 50 });
    q.push({ tenant: "a", n: 2, score: -600 });
    q.push({ tenant: "a", n: 3, score: 10 });
    expect(drain(q)).toEqual(["a2", "a3", "a1"]);
  });

  it("puts a tenant that starts waiting behind every tenant already waiting (the tail of the round-robin list)", () => {
    const q = queue();
    for (const i of [...items("a", 3), ...items("b", 3)]) q.push(i);
    expect(q.pop()?.tenant).toBe("a");
    q.push({ tenant: "c", n: 0, score: 0 });
    // a was served and went to the tail ([b, a]); c joins behind it: b, a, c, then round again.
    expect(drain(q)).toEqual(["b0", "a1", "c0", "b1", "a2", "b2"]);
  });

  it("lets a tenant that had nothing waiting save up no turns (its deficit resets)", () => {
    const q = queue();
    q.push({ tenant: "a", n: 0, score: 0 });
    expect(q.pop()?.n).toBe(0);
    for (const i of [...items("a", 3, 10), ...items("b", 3, 10)]) q.push(i);
    expect(drain(q).map((s) => s[0])).toEqual(["a", "b", "a", "b", "a", "b"]);
  });

  it("removes an item from the middle, and a tenant whose last item is removed leaves the round", () => {
    const q = queue();
    const a = items("a", 2);
    const b = items("b", 1);
    for (const i of [...a, ...b]) q.push(i);
    expect(q.remove(b[0] as Item)).toBe(true);
    expect(q.tenants).toBe(1);
    expect(q.remove(b[0] as Item)).toBe(false);
    expect(drain(q)).toEqual(["a0", "a1"]);
  });
});
