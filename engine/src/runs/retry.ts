import type { Clock } from "../clock.js";
import { type BackoffSetting, backoffDelay } from "../options.js";
import type { ItemKind, QueueItem, RunState } from "../types.js";
import type { Unit } from "../unit.js";
import type { RunQueue } from "./queue.js";
import type { Trace, TraceStep } from "./trace.js";

export type RetryDecision = { retry: true; at: number } | { retry: false };

/**
 * Whether a failed attempt is tried again, and when: while attempts are left and the failure is retriable, after
 * the app's `retry-after` if it gave one, else the configured backoff. The one place this is decided, for function
 * errors, step errors and step.fetch failures alike.
 */
export function decideRetry(opts: {
  attempt: number;
  maxAttempts: number;
  retriable: boolean;
  retryAfterMs?: number;
  backoff: BackoffSetting;
  now: number;
}): RetryDecision {
  if (!opts.retriable || opts.attempt + 1 >= opts.maxAttempts) return { retry: false };
  return { retry: true, at: opts.now + (opts.retryAfterMs ?? backoffDelay(opts.backoff, opts.attempt)) };
}

/** An attempt that failed, as the retry system needs it: what ran, how it is traced, and what the retry carries. */
export interface FailedAttempt {
  /** The queue item whose attempt failed; the retry is the same step with `attempt + 1`. */
  item: QueueItem;
  /** The kind of item the retry is: an SDK request again, or step.fetch again. */
  kind: Extract<ItemKind, "exec" | "gateway">;
  /** The attempt's trace row (recorded as errored when it is retried). */
  step: TraceStep;
  error: unknown;
  maxAttempts: number;
  retriable: boolean;
  /** The app's `retry-after`, which replaces the backoff. */
  retryAfterMs?: number;
  /** The retry's item data (each kind keeps what its next attempt needs, such as the job id). */
  data?: Record<string, unknown>;
  /** The retry is still the run's first request (throttle and start timeouts keep applying). */
  isStart?: boolean;
}

export interface RetryDeps {
  trace: Pick<Trace, "record">;
  queue: Pick<RunQueue, "enqueue">;
  clock: Clock;
  backoff: BackoffSetting;
  /** Told of each retry queued (the metrics count them by function). */
  onRetry?: (fnSlug: string) => void;
}

/**
 * Acts on a retry decision, the same way for a function error, a step error and a failed step.fetch: when
 * `decideRetry` says so, the attempt is recorded as errored and the same step is queued again with `attempt + 1`,
 * due at the decided time and waiting with reason "retry". Otherwise nothing is recorded and the caller is told,
 * so it fails in its own way (the run, the step, or the fetch's memo).
 */
export class RetrySystem {
  constructor(private readonly deps: RetryDeps) {}

  /** True when the attempt was retried (the retry is queued in `u`); false when there is no retry. */
  retry(u: Unit, run: Pick<RunState, "id" | "fnSlug" | "createdAt" | "priority" | "concurrency">, failed: FailedAttempt): boolean {
    const { trace, queue, clock, backoff } = this.deps;
    const { item } = failed;
    const decision = decideRetry({
      attempt: item.attempt,
      maxAttempts: failed.maxAttempts,
      retriable: failed.retriable,
      retryAfterMs: failed.retryAfterMs,
      backoff,
      now: clock.now(),
    });
    if (!decision.retry) return false;
    trace.record(failed.step, { status: "errored", error: failed.error });
    this.deps.onRetry?.(run.fnSlug);
    queue.enqueue(u, run, failed.kind, item.stepId, {
      attempt: item.attempt + 1,
      at: decision.at,
      isStart: failed.isStart,
      data: failed.data,
      wait: {
        reason: "retry",
        until: decision.at,
        maxAttempts: failed.maxAttempts,
        ...(failed.step.stepName ? { step: failed.step.stepName } : {}),
      },
    });
    return true;
  }
}
