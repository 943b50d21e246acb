import type { EngineContext } from "../context.js";
import { formatDuration } from "../util/duration.js";
import { iso } from "./run-filter.js";

/** "Why is it waiting": where each of the run's queue items and pauses stands right now, in words. */
export function explainWaiting(ctx: EngineContext, runId: string, fnSlug: string): { reason: string; reasons: string[] } | null {
  const { scheduler, registry, pauses, availability, clock, opts } = ctx;
  const reasons: string[] = [];
  const at = (ms: number) => `${iso(ms) ?? "an unknown time"} (in ${formatDuration(Math.max(ms - clock.now(), 0))})`;
  const fn = registry.get(fnSlug);
  for (const item of scheduler.itemsOf(runId)) {
    const where = scheduler.whereIs(item);
    const what =
      item.stepId === "step" ? (item.isStart ? "first request" : "next request") : `step ${String(item.data?.name ?? item.stepId)}`;
    if (!where) continue;
    if (where.place === "inflight") reasons.push(`running: ${what}`);
    else if (where.place === "paused")
      reasons.push(fn?.paused || !fn ? `function ${fnSlug} is paused` : (availability.reason(fn.appId) ?? `function ${fnSlug} is held`));
    else if (where.place === "blocked") {
      const cc = item.concurrency.find((k) => k.key === where.key);
      reasons.push(`concurrency ${cc?.label ?? where.key} full ${scheduler.inFlightFor(where.key ?? "")}/${cc?.limit ?? "?"}`);
    } else if (where.place === "timer") {
      if (item.kind === "resume") reasons.push(`sleeping until ${at(item.at)}`);
      else if (item.wait?.reason === "retry")
        reasons.push(`retry ${item.attempt} of ${(item.wait.maxAttempts ?? fn?.maxAttempts ?? 5) - 1} at ${at(item.at)}`);
      else if (item.wait?.reason === "throttle") reasons.push(`throttled until ${at(item.at)}`);
      else reasons.push(`scheduled: ${what} at ${at(item.at)}`);
    } else if (where.place === "ready") reasons.push(`queued: ${what} waits for a free slot (${opts.maxInFlight} requests in flight)`);
  }
  for (const p of pauses.ofRun(runId)) {
    if (p.kind === "wait") reasons.push(`waiting for event ${p.event}${p.expr ? ` matching ${p.expr}` : ""} until ${at(p.expiresAt)}`);
    else if (p.kind === "signal") reasons.push(`waiting for signal ${p.data.signal} until ${at(p.expiresAt)}`);
    else if (p.kind === "invoke") reasons.push(`waiting for invoked function ${p.data.target} until ${at(p.expiresAt)}`);
  }
  if (!reasons.length) return null;
  return { reason: reasons[0] as string, reasons };
}
