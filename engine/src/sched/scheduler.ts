import type { Clock } from "../clock.js";
import type { QueueItem } from "../types.js";
import { FairQueue } from "./fair-queue.js";
import type { TimerHandle, Timers } from "./timers.js";

type Place = "timer" | "ready" | "blocked" | "paused" | "inflight";

export interface SchedulerHooks {
  /** A paused function's requests, and those of an app that does not answer, wait (parked) until released. */
  isHeld(fnSlug: string): boolean;
  /** For a run's first request: when throttling allows it to start (now or later). Consumes a slot if now. */
  throttle(item: QueueItem, now: number): number;
  /** Items are ready to be taken (the executor takes them). */
  onReady(): void;
  /** A tenant's weight in the fair share (1 unless an operator gave it more). */
  weightOf(tenant: string): number;
}

const byScore = (a: QueueItem, b: QueueItem) => a.score < b.score || (a.score === b.score && a.seq < b.seq);

/**
 * The tenant an item works for: the value of its function's tenant key (the first keyed concurrency limit), "" when
 * the function names none. Fairness is across these values.
 */
export const tenantOf = (item: Pick<QueueItem, "concurrency">): string =>
  item.concurrency.find((c) => c.tenant !== undefined)?.tenant ?? "";

/**
 * In-memory queue of durable items (the rows live in the queue table). Items wait in a timer until due, then in
 * the ready queue; concurrency-limited items wait in a queue per concurrency key and move back one at a time as
 * slots free; a held function's items are parked until it is released. The executor `take()`s what may run now and
 * `settle()`s it when its dispatch is over.
 *
 * Both kinds of queue are fair across tenants (sched/fair-queue.ts): deficit round-robin over the values of the
 * function's tenant key, weighted, with priority and age ordering each tenant's own items. So when a limit is the
 * bottleneck (a function's, an account's, the engine's in-flight cap), one tenant's backlog cannot make another's
 * work wait behind all of it, and no slot is left idle while any work waits.
 */
export class Scheduler {
  private readonly ready: FairQueue<QueueItem>;
  private readonly blocked = new Map<string, FairQueue<QueueItem>>();
  private readonly parked = new Map<string, Set<QueueItem>>();
  private readonly inFlightByKey = new Map<string, number>();
  /** In-flight items per concurrency key and tenant ("<key>\u0000<tenant>"), for a tenant's share of a key. */
  private readonly inFlightByKeyTenant = new Map<string, number>();
  private readonly place = new Map<QueueItem, Place>();
  private readonly timerOf = new Map<QueueItem, TimerHandle>();
  private readonly blockedOn = new Map<QueueItem, string>();
  private readonly unblockedFrom = new Map<QueueItem, string>();
  /** When each in-flight item was handed out. */
  private readonly startedAt = new Map<QueueItem, number>();
  /** In-flight items whose app has answered: their concurrency slots are already free (releaseSlots). */
  private readonly slotsFreed = new Set<QueueItem>();
  private parkedCount = 0;
  private readonly byRun = new Map<string, Set<QueueItem>>();
  private readonly byId = new Map<string, QueueItem>();
  /** Items per tenant, waiting or in flight: a tenant's own backlog (a run behind only others' work starts soon). */
  private readonly countByTenant = new Map<string, number>();
  private inFlight = 0;
  private readonly inFlightByFn = new Map<string, number>();
  private seq = 0;
  private stopped = false;

  constructor(
    private readonly timers: Timers,
    private readonly clock: Clock,
    private readonly hooks: SchedulerHooks,
    private readonly maxInFlight: number,
  ) {
    this.ready = this.fairQueue();
  }

  private fairQueue(): FairQueue<QueueItem> {
    return new FairQueue<QueueItem>(byScore, tenantOf, (tenant) => this.hooks.weightOf(tenant));
  }

  get counts() {
    // Kept O(1): this is read on every run creation (backlog check).
    return {
      ready: this.ready.size,
      inFlight: this.inFlight,
      blocked: this.blockedOn.size,
      parked: this.parkedCount,
      total: this.byId.size,
    };
  }

  nextSeq(): number {
    return this.seq++;
  }

  inFlightFor(key: string): number {
    return this.inFlightByKey.get(key) ?? 0;
  }

  /** A tenant's in-flight items on a concurrency key. */
  inFlightForTenant(key: string, tenant: string): number {
    return this.inFlightByKeyTenant.get(`${key}\u0000${tenant}`) ?? 0;
  }

  /** SDK requests of a function in flight right now. */
  inFlightOf(fnSlug: string): number {
    return this.inFlightByFn.get(fnSlug) ?? 0;
  }

  get(id: string): QueueItem | undefined {
    return this.byId.get(id);
  }

  /** How many items of one tenant the queue holds (waiting anywhere or in flight). */
  backlogOf(tenant: string): number {
    return this.countByTenant.get(tenant) ?? 0;
  }

  itemsOf(runId: string): QueueItem[] {
    return [...(this.byRun.get(runId) ?? [])];
  }

  /** Where an item waits and on what, for "why is it waiting". */
  whereIs(item: QueueItem): { place: Place; key?: string } | undefined {
    const place = this.place.get(item);
    return place ? { place, key: this.blockedOn.get(item) } : undefined;
  }

  add(item: QueueItem): void {
    if (this.stopped || this.byId.has(item.id)) return; // the same durable item is never queued twice
    this.byId.set(item.id, item);
    const tenant = tenantOf(item);
    this.countByTenant.set(tenant, this.backlogOf(tenant) + 1);
    let set = this.byRun.get(item.runId);
    if (!set) this.byRun.set(item.runId, (set = new Set()));
    set.add(item);
    this.enqueue(item);
    this.signal();
  }

  /** Forgets an item wherever it waits. An in-flight item stays counted until its dispatch settles. */
  remove(id: string): void {
    const item = this.byId.get(id);
    if (!item) return;
    const place = this.place.get(item);
    if (place !== "inflight") this.detach(item);
    this.forget(item);
  }

  removeRun(runId: string): void {
    for (const item of this.itemsOf(runId)) this.remove(item.id);
  }

  /** Moves a held function's items back into the queue. */
  resumeFunction(fnSlug: string): void {
    const set = this.parked.get(fnSlug);
    if (!set) return;
    this.parked.delete(fnSlug);
    this.parkedCount -= set.size;
    for (const item of set) {
      this.place.delete(item);
      this.enqueue(item);
    }
    this.signal();
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * The concurrency keys runs are waiting on, with each key's limit and how many hold its slots now, the longest
   * queues first (at most `max`). A key with waiting runs and a free slot is a slot left idle while work waits.
   */
  slotsWaitedOn(max: number): Array<{ key: string; limit: number; in_flight: number; waiting: number }> {
    const out: Array<{ key: string; limit: number; in_flight: number; waiting: number }> = [];
    for (const [key, heap] of this.blocked) {
      const limit = heap.peek()?.concurrency.find((c) => c.key === key)?.limit ?? 0;
      out.push({ key, limit, in_flight: this.inFlightFor(key), waiting: heap.size });
    }
    return out.sort((a, b) => b.waiting - a.waiting).slice(0, max);
  }

  get idle(): boolean {
    return this.inFlight === 0;
  }

  private enqueue(item: QueueItem): void {
    const now = this.clock.now();
    if (item.at > now) {
      this.place.set(item, "timer");
      this.timerOf.set(
        item,
        this.timers.at(item.at, () => {
          this.timerOf.delete(item);
          if (this.place.get(item) !== "timer") return;
          this.place.set(item, "ready");
          this.ready.push(item);
          this.signal();
        }),
      );
      return;
    }
    this.place.set(item, "ready");
    this.ready.push(item);
  }

  private detach(item: QueueItem): void {
    switch (this.place.get(item)) {
      case "timer":
        this.timers.cancel(this.timerOf.get(item));
        this.timerOf.delete(item);
        break;
      case "ready":
        this.ready.remove(item);
        break;
      case "blocked": {
        const key = this.blockedOn.get(item);
        const heap = key ? this.blocked.get(key) : undefined;
        heap?.remove(item);
        if (key && heap?.size === 0) this.blocked.delete(key);
        this.blockedOn.delete(item);
        break;
      }
      case "paused":
        if (this.parked.get(item.fnSlug)?.delete(item)) this.parkedCount--;
        break;
      default:
        break;
    }
    this.place.delete(item);
  }

  private forget(item: QueueItem): void {
    this.unblockedFrom.delete(item);
    if (this.byId.get(item.id) === item) {
      this.byId.delete(item.id);
      decrement(this.countByTenant, tenantOf(item));
    }
    const set = this.byRun.get(item.runId);
    set?.delete(item);
    if (set && set.size === 0) this.byRun.delete(item.runId);
  }

  private signal(): void {
    if (!this.stopped && this.ready.size > 0 && this.inFlight < this.maxInFlight) this.hooks.onReady();
  }

  /** The next item that may run now (marked in flight), or undefined. Items that must wait are moved where they wait. */
  take(): QueueItem | undefined {
    while (!this.stopped && this.inFlight < this.maxInFlight && this.ready.size > 0) {
      const item = this.ready.pop() as QueueItem;
      this.place.delete(item);
      if (item.kind === "exec" && this.hooks.isHeld(item.fnSlug)) {
        this.park(item);
        continue;
      }
      const full = item.kind === "exec" ? item.concurrency.find((c) => this.inFlightFor(c.key) >= c.limit) : undefined;
      const freedBy = this.unblockedFrom.get(item);
      this.unblockedFrom.delete(item);
      if (full) {
        // It was let through by a freed slot on another key, but waits on this one: that slot must not go unused.
        if (freedBy && freedBy !== full.key) this.unblock(freedBy);
        this.block(item, full.key);
        continue;
      }
      if (item.isStart && item.throttleKey !== undefined) {
        const now = this.clock.now();
        const allowAt = this.hooks.throttle(item, now);
        if (allowAt > now) {
          item.at = allowAt;
          item.wait = { reason: "throttle", until: allowAt };
          this.enqueue(item);
          continue;
        }
      }
      this.start(item);
      return item;
    }
    return undefined;
  }

  private park(item: QueueItem): void {
    let set = this.parked.get(item.fnSlug);
    if (!set) this.parked.set(item.fnSlug, (set = new Set()));
    this.parkedCount++;
    set.add(item);
    this.place.set(item, "paused");
  }

  private block(item: QueueItem, key: string): void {
    let heap = this.blocked.get(key);
    if (!heap) this.blocked.set(key, (heap = this.fairQueue()));
    heap.push(item);
    this.place.set(item, "blocked");
    this.blockedOn.set(item, key);
  }

  private start(item: QueueItem): void {
    this.place.set(item, "inflight");
    this.startedAt.set(item, this.clock.now());
    this.inFlight++;
    this.inFlightByFn.set(item.fnSlug, this.inFlightOf(item.fnSlug) + 1);
    if (item.kind === "exec") {
      const tenant = tenantOf(item);
      for (const c of item.concurrency) {
        this.inFlightByKey.set(c.key, this.inFlightFor(c.key) + 1);
        this.inFlightByKeyTenant.set(`${c.key}\u0000${tenant}`, this.inFlightForTenant(c.key, tenant) + 1);
      }
    }
    item.wait = undefined;
  }

  /**
   * The app has answered an in-flight request: the function no longer runs, so its concurrency slots are free for the
   * next run now, while the answer is still being journaled. A slot held through that commit sat idle for it (on a
   * loaded machine tens of milliseconds per step, against a 20 ms step). The item still counts against the engine's
   * own limit of requests in flight until it settles.
   */
  releaseSlots(item: QueueItem): void {
    if (item.kind !== "exec" || this.place.get(item) !== "inflight" || this.slotsFreed.has(item)) return;
    this.slotsFreed.add(item);
    this.startedAt.delete(item);
    this.freeSlots(item);
    this.signal();
  }

  /** An item's dispatch is over: its slots are free for the next (unless its answer freed them already). */
  settle(item: QueueItem): void {
    this.inFlight--;
    this.startedAt.delete(item);
    const n = this.inFlightOf(item.fnSlug) - 1;
    if (n <= 0) this.inFlightByFn.delete(item.fnSlug);
    else this.inFlightByFn.set(item.fnSlug, n);
    this.place.delete(item);
    this.forget(item);
    if (item.kind === "exec" && !this.slotsFreed.delete(item)) this.freeSlots(item);
    this.signal();
  }

  private freeSlots(item: QueueItem): void {
    const tenant = tenantOf(item);
    for (const c of item.concurrency) {
      decrement(this.inFlightByKey, c.key);
      decrement(this.inFlightByKeyTenant, `${c.key}\u0000${tenant}`);
      this.unblock(c.key);
    }
  }

  /**
   * Where a blocked item stands on its key, within its own tenant's share: how many of its tenant's items wait there
   * before it, how many tenants take turns on the key (its weight against theirs), and when each item holding a slot
   * of that key started. Nothing about any other tenant's items is told, only how many tenants share the key.
   */
  lineOf(
    item: QueueItem,
    key: string,
  ): { ahead: number; inFlightSince: number[]; tenant: string; tenantInFlight: number; tenants: number; share: number } {
    const queue = this.blocked.get(key);
    const tenant = tenantOf(item);
    const ahead = queue ? queue.valuesOf(tenant).filter((other) => other !== item && byScore(other, item)).length : 0;
    const inFlightSince: number[] = [];
    for (const [it, since] of this.startedAt) if (it.concurrency.some((c) => c.key === key)) inFlightSince.push(since);
    // The share of starts the tenant gets while every waiting tenant takes turns: its weight over theirs.
    const waiting = new Set((queue?.values() ?? []).map(tenantOf));
    waiting.add(tenant);
    const total = [...waiting].reduce((sum, t) => sum + Math.max(1, this.hooks.weightOf(t)), 0);
    const share = Math.max(1, this.hooks.weightOf(tenant)) / total;
    return { ahead, inFlightSince, tenant, tenantInFlight: this.inFlightForTenant(key, tenant), tenants: waiting.size, share };
  }

  /** A slot freed on `key`: the best waiting item there gets another look. */
  private unblock(key: string): void {
    const heap = this.blocked.get(key);
    if (!heap) return;
    const item = heap.pop();
    if (heap.size === 0) this.blocked.delete(key);
    if (!item) return;
    this.blockedOn.delete(item);
    this.unblockedFrom.set(item, key);
    this.place.set(item, "ready");
    this.ready.push(item);
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 0) - 1;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}
