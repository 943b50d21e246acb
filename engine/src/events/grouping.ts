import type { EngineContext } from "../context.js";
import { test } from "../expr/cel.js";
import { flowKey, fnOfKey } from "../flow/flow-state.js";
import type { FnDef } from "../registry.js";
import type { RunLifecycle } from "../runs/lifecycle.js";
import { toWire } from "../runs/lifecycle.js";
import type { EventRecord } from "../types.js";
import { Unit } from "../unit.js";
import { ulid } from "../util/ulid.js";

/**
 * Events that wait for others before a run: `debounce` (the run starts `period` after the last event, with that
 * event; `timeout` caps the wait) and `batchEvents` (one run for up to `maxSize` events, or what came within
 * `timeout`). Their buffers are flow state; their timers come back after a restart (`rearm`).
 */
export class Grouping {
  constructor(
    private readonly ctx: EngineContext,
    private readonly lifecycle: RunLifecycle,
  ) {}

  debounce(u: Unit, fn: FnDef, ev: EventRecord, now: number): void {
    const d = fn.debounce as NonNullable<FnDef["debounce"]>;
    const key = flowKey(fn.slug, d.key, { event: toWire(ev) }, now);
    const cur = this.ctx.flow.get("debounce", key);
    const event = cur && cur.event.ts > ev.ts ? cur.event : ev; // an older event never replaces a newer one
    const firstAt = cur?.firstAt ?? now;
    const due = d.timeoutMs === undefined ? now + d.periodMs : Math.min(now + d.periodMs, firstAt + d.timeoutMs);
    this.ctx.flow.put("debounce", key, { event, firstAt, due });
    u.after.push(() => this.armDebounce(key, due));
  }

  /**
   * Adds the event to its batch: "buffered" (it waits for more), "started" (it filled the batch, whose run was
   * created), or "alone" when the batch's `if` leaves it out (it runs on its own, at once).
   */
  batch(u: Unit, fn: FnDef, ev: EventRecord, now: number): "buffered" | "started" | "alone" {
    const b = fn.batch as NonNullable<FnDef["batch"]>;
    const vars = { event: toWire(ev) };
    if (b.if && !test(b.if, vars, now)) return "alone";
    const { flow } = this.ctx;
    const key = flowKey(fn.slug, b.key, vars, now);
    const cur = flow.get("batch", key) ?? { events: [], firstAt: now };
    const events = [...cur.events, ev];
    if (events.length >= b.maxSize) {
      flow.delete("batch", key);
      flow.clearTimer(`batch|${key}`);
      this.lifecycle.createRun(u, fn, events, { batchId: ulid(now) });
      return "started";
    }
    flow.put("batch", key, { events, firstAt: cur.firstAt });
    if (cur.events.length === 0) u.after.push(() => this.armBatch(key, cur.firstAt + b.timeoutMs));
    return "buffered";
  }

  /** After a restart: debounce and batch timers come back from their stored state. */
  rearm(): void {
    const { flow, registry } = this.ctx;
    for (const [key, v] of flow.list("debounce")) this.armDebounce(key, v.due);
    for (const [key, v] of flow.list("batch")) this.armBatch(key, v.firstAt + (registry.get(fnOfKey(key))?.batch?.timeoutMs ?? 0));
  }

  private armDebounce(key: string, due: number): void {
    this.ctx.flow.setTimer(`debounce|${key}`, due, () => void this.fireDebounce(key));
  }

  private armBatch(key: string, due: number): void {
    this.ctx.flow.setTimer(`batch|${key}`, due, () => void this.flushBatch(key));
  }

  private async fireDebounce(key: string): Promise<void> {
    const { flow, clock, registry, journal } = this.ctx;
    const cur = flow.get("debounce", key);
    if (!cur) return;
    if (cur.due > clock.now()) return this.armDebounce(key, cur.due);
    const u = new Unit();
    flow.delete("debounce", key);
    const fn = registry.get(fnOfKey(key));
    if (fn && !fn.archived) this.lifecycle.createRun(u, fn, [cur.event]);
    await u.commit(journal);
  }

  private async flushBatch(key: string): Promise<void> {
    const { flow, clock, registry, journal } = this.ctx;
    const cur = flow.get("batch", key);
    if (!cur?.events.length) return;
    const u = new Unit();
    flow.delete("batch", key);
    const fn = registry.get(fnOfKey(key));
    if (fn && !fn.archived) this.lifecycle.createRun(u, fn, cur.events, { batchId: ulid(clock.now()) });
    await u.commit(journal);
  }
}
