import { type BackoffSetting, backoffDelay } from "../options.js";

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
