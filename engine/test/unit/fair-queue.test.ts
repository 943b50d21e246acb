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

  it("gives a tenant that starts waiting, and has had no turn this round, the next turn", () => {
    const q = queue();
    for (const i of [...items("a", 3), ...items("b", 3)]) q.push(i);
    expect(q.pop()?.tenant).toBe("a");
    q.push({ tenant: "c", n: 0, score: 0 });
    // This round a has had its turn and b waits for its own: c goes before the next round, after b (who waited first).
    expect(drain(q)).toEqual(["b0", "c0", "a1", "b1", "a2", "b2"]);
  });

  it("starts a lone newcomer at the next pop behind one busy tenant (not the one after), and newcomers in arrival order", () => {
    const q = queue();
    for (const i of items("a", 5)) q.push(i);
    expect(q.pop()?.n).toBe(0);
    q.push({ tenant: "b", n: 0, score: 0 });
    q.push({ tenant: "c", n: 0, score: 0 });
    expect(drain(q)).toEqual(["b0", "c0", "a1", "a2", "a3", "a4"]);
  });

  it("lets a newcomer wait for the rest of a visit under way (weight 2), then go next", () => {
    const q = queue({ a: 2 });
    for (const i of items("a", 5)) q.push(i);
    expect(q.pop()?.n).toBe(0); // a's visit of two has begun
    q.push({ tenant: "b", n: 0, score: 0 });
    expect(drain(q)).toEqual(["a1", "b0", "a2", "a3", "a4"]);
  });

  it("gives a tenant that leaves and comes back one item at a time no more than its share", () => {
    const q = queue();
    for (const i of [...items("a", 400), ...items("b", 400)]) q.push(i);
    const served: Record<string, number> = { a: 0, b: 0, c: 0 };
    let n = 0;
    q.push({ tenant: "c", n: n++, score: 0 });
    for (let k = 0; k < 300; k++) {
      const item = q.pop() as Item;
      served[item.tenant] = (served[item.tenant] ?? 0) + 1;
      // c sends its next item the moment its last one is taken: it is never waiting when its turn would come.
      if (item.tenant === "c") q.push({ tenant: "c", n: n++, score: 0 });
    }
    expect(served.c).toBeLessThanOrEqual(101);
    expect(served.a).toBeGreaterThanOrEqual(99);
    expect(served.b).toBeGreaterThanOrEqual(99);
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
