import type { Registry } from "../registry.js";
import type { QueueItem } from "../types.js";
import type { FlowState } from "./flow-state.js";
import { gcra } from "./gcra.js";

/**
 * `throttle`: a run's first request waits until its key has a free start slot (GCRA: starts spaced `period/limit`
 * apart after a burst). Returns when the item may start: now (the slot is taken) or later.
 */
export function throttleStart(flow: FlowState, registry: Registry, item: QueueItem, now: number): number {
  const t = registry.get(item.fnSlug)?.throttle;
  if (!t || item.throttleKey === undefined) return now;
  const emission = t.periodMs / t.limit;
  const r = gcra(flow.get("throttle", item.throttleKey, now), now, emission, emission * t.burst);
  if (!r.allowed) return Math.ceil(r.allowAt);
  flow.put("throttle", item.throttleKey, r.tat, Math.ceil(r.tat + t.periodMs));
  return now;
}
