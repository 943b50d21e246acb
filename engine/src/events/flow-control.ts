import type { SkipReason } from "../bus.js";
import type { EngineContext } from "../context.js";
import { flowKey, scopedKey } from "../flow/flow-state.js";
import { gcra } from "../flow/gcra.js";
import type { FnDef } from "../registry.js";
import type { RunLifecycle } from "../runs/lifecycle.js";
import { toWire } from "../runs/lifecycle.js";
import type { RunQueue } from "../runs/queue.js";
import type { EventRecord } from "../types.js";
import type { Unit } from "../unit.js";
import type { Grouping } from "./grouping.js";

const DAY_MS = 86_400_000;

/**
 * Flow control ahead of a run: what skips, delays or groups events happens here (event-id dedup, idempotency, rate
 * limit, debounce, batching, singleton). Cron fires come through here too, so idempotency, rate limits and
 * singletons apply to scheduled runs as they do in Inngest.
 */
export class FlowControl {
  constructor(
    private readonly ctx: EngineContext,
    private readonly lifecycle: RunLifecycle,
    private readonly queue: RunQueue,
    private readonly grouping: Grouping,
  ) {}

  /** Starts a run of `fn` for `ev`, unless flow control skips, delays or groups it ("run.skipped" says why). */
  start(u: Unit, fn: FnDef, ev: EventRecord): SkipReason | undefined {
    const reason = this.admit(u, fn, ev);
    if (reason) this.ctx.bus.emit("run.skipped", { fnSlug: fn.slug, eventId: ev.internalId, reason });
    return reason;
  }

  private admit(u: Unit, fn: FnDef, ev: EventRecord): SkipReason | undefined {
    const { flow, clock } = this.ctx;
    const now = clock.now();
    const vars = { event: toWire(ev) };
    if (ev.id !== ev.internalId) {
      const key = scopedKey(fn.slug, ev.id);
      if (flow.get("dedup", key, now)) return "duplicate_event_id";
      flow.put("dedup", key, 1, now + DAY_MS);
    }
    if (fn.idempotency) {
      const key = flowKey(fn.slug, fn.idempotency, vars, now);
      if (flow.get("idempotency", key, now)) return "idempotency";
      flow.put("idempotency", key, 1, now + DAY_MS);
    }
    if (fn.rateLimit) {
      const rl = fn.rateLimit;
      const key = flowKey(fn.slug, rl.key, vars, now);
      const r = gcra(flow.get("ratelimit", key, now), now, rl.periodMs / rl.limit, rl.periodMs);
      if (!r.allowed) return "rate_limited";
      flow.put("ratelimit", key, r.tat, Math.ceil(r.tat));
    }
    if (fn.debounce) {
      this.grouping.debounce(u, fn, ev, now);
      return "debounced";
    }
    if (fn.batch) {
      const batched = this.grouping.batch(u, fn, ev, now);
      if (batched === "buffered") return "batched";
      if (batched === "started") return undefined;
    }
    if (fn.singleton) {
      const key = flowKey(fn.slug, fn.singleton.key, vars, now);
      const activeId = this.lifecycle.singletons.get(key);
      if (activeId) {
        if (fn.singleton.mode === "skip") return "singleton_skip";
        this.lifecycle.singletons.delete(key);
        this.queue.cancel(u, activeId, fn.slug, `singleton: replaced by a run for event ${ev.internalId}`);
      }
    }
    this.lifecycle.createRun(u, fn, [ev]);
    return undefined;
  }
}
