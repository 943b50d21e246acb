import type { EngineContext } from "../context.js";
import type { QueueItem } from "../types.js";
import { formatDuration } from "../util/duration.js";
import { blockedReason } from "./explain.js";
import { iso } from "./run-filter.js";

/** A queued run's expected start, from the scheduler's state now. */
export interface PredictedStart {
  /** Milliseconds from now; null when the function has no request timings yet to reckon with. */
  starts_in_ms: number | null;
  at: string | null;
  /** Its place in line on the concurrency key that holds it (1 = next). */
  position: number | null;
  key: string | null;
  /** Slots busy and the limit of the key (null for a tenant's run: other tenants' use of a key is not told). */
  busy: number | null;
  limit: number | null;
  median_step_ms: number | null;
  reason: "concurrency" | "throttle" | "scheduled" | "ready";
  text: string;
}

/** Items ahead are simulated this far at most; a longer line says "at least". */
const MAX_SIMULATED = 10_000;

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`;
}

/**
 * When the slots of a key free up for this item: each of the `limit` slots is free once its current holder is done
 * (a holder is expected to take the function's median request time in all), and each item ahead takes the slot
 * that frees first for another median time. The item starts on the first slot free after all of them.
 */
export function slotWait(limit: number, inFlightSince: number[], ahead: number, medianMs: number, now: number): number {
  // A request still running past the median is taken to run about as long again as it already has (the longer a
  // request has run, the longer it is likely to go on), not to end this instant.
  const free = inFlightSince.slice(0, limit).map((since) => {
    const left = since + medianMs - now;
    return left > 0 ? left : now - since;
  });
  while (free.length < limit) free.push(0);
  const soonest = () => free.reduce((best, t, i) => (t < (free[best] as number) ? i : best), 0);
  for (let i = 0; i < Math.min(ahead, MAX_SIMULATED); i++) {
    const s = soonest();
    free[s] = (free[s] as number) + medianMs;
  }
  return Math.round(free[soonest()] as number);
}

/**
 * "Starts in about 40 s — 17th in line for key acme (10/10 slots busy, median step 2.1 s)": for the run's first
 * request while it has not started. Undefined when the run has none waiting (it is running, sleeping, or ended).
 */
export function predictStart(ctx: EngineContext, runId: string, fnSlug: string): PredictedStart | undefined {
  const { scheduler, clock } = ctx;
  const item = scheduler.itemsOf(runId).find((i) => i.isStart && i.kind === "exec");
  if (!item) return undefined;
  const where = scheduler.whereIs(item);
  if (!where || where.place === "inflight" || where.place === "paused") return undefined;
  const now = clock.now();
  const median = ctx.stats.requestMs.get(fnSlug)?.summary().p50 ?? null;
  const base = { position: null, key: null, busy: null, limit: null, median_step_ms: median };
  if (where.place === "timer") {
    const inMs = Math.max(item.at - now, 0);
    const throttled = item.wait?.reason === "throttle";
    const text = `starts in about ${formatDuration(inMs)}${throttled ? " (throttled)" : ""}`;
    return { ...base, starts_in_ms: inMs, at: iso(item.at), reason: throttled ? "throttle" : "scheduled", text };
  }
  if (where.place === "ready")
    return { ...base, starts_in_ms: 0, at: iso(now), reason: "ready", text: "starts as soon as a request slot frees" };
  return blockedPrediction(ctx, item, where.key ?? "", median, now);
}

function blockedPrediction(ctx: EngineContext, item: QueueItem, key: string, median: number | null, now: number): PredictedStart {
  const cc = item.concurrency.find((c) => c.key === key);
  const limit = cc?.limit ?? 1;
  const { ahead, inFlightSince, share } = ctx.scheduler.lineOf(item, key);
  const position = ahead + 1;
  const busy = inFlightSince.length;
  const own = item.concurrency.find((c) => c.tenant !== undefined);
  // A tenant's run is told of its own share only (blockedReason): its place among its tenant's jobs, not how busy
  // other tenants keep the key.
  const line = own
    ? `${ordinal(position)} of ${own.tenant}'s jobs in line; ${blockedReason(ctx, item, key)}${median === null ? "" : ` (median step ${formatDuration(median)})`}`
    : `${ordinal(position)} in line for ${cc?.label ?? key} (${busy}/${limit} slots busy${median === null ? "" : `, median step ${formatDuration(median)}`})`;
  const shown = own ? { busy: null, limit: null, key: own.key } : { busy, limit, key };
  if (median === null) {
    return {
      starts_in_ms: null,
      at: null,
      position,
      ...shown,
      median_step_ms: null,
      reason: "concurrency",
      text: `start time unknown yet — ${line}`,
    };
  }
  // Its tenant gets `share` of the starts on the key while the tenants waiting take turns: the starts before its
  // own are its tenant's items ahead of it, stretched by the turns the other tenants take in between.
  const startsBefore = own ? Math.ceil(position / share) - 1 : ahead;
  const inMs = slotWait(limit, inFlightSince, startsBefore, median, now);
  const atLeast = startsBefore > MAX_SIMULATED ? "at least " : "about ";
  return {
    starts_in_ms: inMs,
    at: iso(now + inMs),
    position,
    ...shown,
    median_step_ms: Math.round(median),
    reason: "concurrency",
    text: `starts in ${atLeast}${formatDuration(inMs)} — ${line}`,
  };
}
