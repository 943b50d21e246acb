import type { EngineContext } from "../context.js";
import type { QueueItem } from "../types.js";
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
      item.stepId === "step" ? (item.isStart ? "the first request" : "the next request") : `step ${String(item.data?.name ?? item.stepId)}`;
    if (!where) continue;
    if (where.place === "inflight") reasons.push(`running: ${what}`);
    else if (where.place === "paused")
      reasons.push(fn?.paused || !fn ? `function ${fnSlug} is paused` : (availability.reason(fn.appId) ?? `function ${fnSlug} is held`));
    else if (where.place === "blocked") reasons.push(blockedReason(ctx, item, where.key ?? ""));
    else if (where.place === "timer") {
      if (item.kind === "resume") reasons.push(`sleeping until ${at(item.at)}`);
      else if (item.wait?.reason === "retry") {
        // `attempt` counts the tries made so far (0-based), so the retry due is that many failures in.
        const failed = item.attempt === 1 ? "once" : `${item.attempt} times`;
        reasons.push(
          `retry ${item.attempt} of ${(item.wait.maxAttempts ?? fn?.maxAttempts ?? 5) - 1}: ${item.wait.step ? `step ${item.wait.step}` : what} failed ${failed}, tries again at ${at(item.at)}`,
        );
      } else if (item.wait?.reason === "throttle") reasons.push(`throttled until ${at(item.at)}`);
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

/**
 * Why a blocked item waits. A run of a tenant (its function has a tenant key) is told about its own tenant's share
 * only: "waiting for a slot: org_a runs 10 of its 10", never how busy other tenants keep a shared key.
 */
export function blockedReason(ctx: EngineContext, item: QueueItem, key: string): string {
  const own = item.concurrency.find((k) => k.tenant !== undefined);
  if (own) {
    return `waiting for a slot: ${own.tenant} runs ${ctx.scheduler.inFlightFor(own.key)} of its ${own.limit}`;
  }
  const cc = item.concurrency.find((k) => k.key === key);
  return `concurrency ${cc?.label ?? key} full ${ctx.scheduler.inFlightFor(key)}/${cc?.limit ?? "?"}`;
}
