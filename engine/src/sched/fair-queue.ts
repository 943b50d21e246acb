import { Heap } from "../util/heap.js";

/**
 * A queue that is fair across tenants: deficit round-robin over per-tenant lanes, weighted. Each lane is a heap in
 * the caller's order (priority, then age), so priority still orders work inside a tenant; across tenants, each visit
 * of the round lets a lane start as many items as its weight (a weight of 2 starts two where a weight of 1 starts
 * one), and a tenant with nothing waiting leaves the round at once. `pop` returns an item whenever any waits, so no
 * slot is left idle while work waits (work conservation). A tenant's share does not grow with how many other keys
 * (hosts, users) it spreads its work over: lanes are by tenant only.
 *
 * A tenant that starts waiting and has not had a turn in the current round takes its turn next (after other such
 * newcomers, in arrival order), not after every lane already waiting: per round it still gets one visit like the
 * others, but a tenant with one job behind another's backlog starts at the next free slot rather than the one after
 * (textbook DRR's tail position costs such a newcomer a whole round). A tenant that already had its turn this round
 * joins at the tail, so leaving and coming back one item at a time gains it nothing.
 *
 * Items of no tenant (functions without a tenant key) share one lane, so a queue of such items behaves as the plain
 * heap it replaces.
 */
export class FairQueue<T> {
  private readonly lanes = new Map<string, { heap: Heap<T>; deficit: number }>();
  /** Tenants with items waiting, in round order; `cursor` is the lane being served. */
  private ring: string[] = [];
  private cursor = 0;
  /** Whether the lane at `cursor` has had this round's quantum. */
  private credited = false;
  /** Tenants served since the cursor last passed the end of the ring (this round). */
  private readonly servedThisRound = new Set<string>();
  /** Lanes that joined at the front of this round and have not had their turn yet (kept in arrival order). */
  private readonly newcomers = new Set<string>();
  private count = 0;

  constructor(
    private readonly less: (a: T, b: T) => boolean,
    private readonly tenantOf: (item: T) => string,
    private readonly weightOf: (tenant: string) => number,
  ) {}

  get size(): number {
    return this.count;
  }

  /** How many tenants have items waiting. */
  get tenants(): number {
    return this.ring.length;
  }

  has(item: T): boolean {
    return this.lanes.get(this.tenantOf(item))?.heap.has(item) ?? false;
  }

  push(item: T): void {
    const tenant = this.tenantOf(item);
    let lane = this.lanes.get(tenant);
    if (!lane) {
      lane = { heap: new Heap<T>(this.less), deficit: 0 };
      this.lanes.set(tenant, lane);
      this.join(tenant);
    }
    if (lane.heap.has(item)) return;
    lane.heap.push(item);
    this.count++;
  }

  /** The next item by deficit round-robin, or undefined when nothing waits. */
  pop(): T | undefined {
    if (this.count === 0) return undefined;
    for (;;) {
      const tenant = this.ring[this.cursor] as string;
      const lane = this.lanes.get(tenant) as { heap: Heap<T>; deficit: number };
      if (!this.credited) {
        lane.deficit += Math.max(1, Math.floor(this.weightOf(tenant)));
        this.credited = true;
        this.newcomers.delete(tenant);
      }
      if (lane.deficit >= 1) {
        const item = lane.heap.pop() as T;
        this.servedThisRound.add(tenant);
        this.count--;
        lane.deficit--;
        if (lane.heap.size === 0) this.drop(tenant);
        else if (lane.deficit < 1) this.advance();
        return item;
      }
      this.advance();
    }
  }

  /** Some item (the next of the lane `pop` serves next), without taking it. */
  peek(): T | undefined {
    const tenant = this.peekTenant();
    return tenant === undefined ? undefined : this.lanes.get(tenant)?.heap.peek();
  }

  /** The tenant whose lane `pop` serves next. */
  peekTenant(): string | undefined {
    return this.count === 0 ? undefined : this.ring[this.cursor];
  }

  remove(item: T): boolean {
    const tenant = this.tenantOf(item);
    const lane = this.lanes.get(tenant);
    if (!lane?.heap.remove(item)) return false;
    this.count--;
    if (lane.heap.size === 0) this.drop(tenant);
    return true;
  }

  values(): T[] {
    return [...this.lanes.values()].flatMap((l) => [...l.heap.values()]);
  }

  /** The items of one tenant, in their own order's heap (not sorted). */
  valuesOf(tenant: string): readonly T[] {
    return this.lanes.get(tenant)?.heap.values() ?? [];
  }

  /** A lane with nothing left leaves the round, and its deficit with it (DRR: an idle tenant saves up no credit). */
  private drop(tenant: string): void {
    this.lanes.delete(tenant);
    this.newcomers.delete(tenant);
    const i = this.ring.indexOf(tenant);
    this.ring.splice(i, 1);
    if (i < this.cursor) this.cursor--;
    else if (i === this.cursor) this.credited = false;
    if (this.cursor >= this.ring.length) this.wrap();
  }

  private advance(): void {
    this.credited = false;
    if (this.cursor + 1 >= this.ring.length) this.wrap();
    else this.cursor++;
  }

  /** The cursor passes the end of the ring: a new round, in which no tenant has had its turn yet. */
  private wrap(): void {
    this.cursor = 0;
    this.servedThisRound.clear();
  }

  /**
   * A tenant starts waiting. Not served yet this round: it takes the next turn, after the lane whose visit is under
   * way and after earlier newcomers. Served already this round: it joins at the tail, behind every lane waiting.
   */
  private join(tenant: string): void {
    if (this.ring.length === 0) {
      this.ring.push(tenant);
      this.cursor = 0;
      this.credited = false;
      this.newcomers.add(tenant);
      return;
    }
    if (this.servedThisRound.has(tenant)) {
      this.ring.splice(this.cursor, 0, tenant);
      this.cursor++;
      return;
    }
    let at = this.credited ? this.cursor + 1 : this.cursor;
    while (at < this.ring.length && this.newcomers.has(this.ring[at] as string)) at++;
    this.ring.splice(at, 0, tenant);
    this.newcomers.add(tenant);
  }
}
