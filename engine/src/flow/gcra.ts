/**
 * Generic cell rate algorithm over a "theoretical arrival time" (tat), as Inngest's throttle and rate limit use it.
 * `tolerance` is how far ahead of now the tat may run: emission × burst for throttle (starts spaced evenly after
 * a burst), the whole period for rate limits (up to `limit` per period, refilling evenly).
 */
export function gcra(
  tat: number | undefined,
  now: number,
  emissionMs: number,
  toleranceMs: number,
): { allowed: boolean; tat: number; allowAt: number } {
  const base = Math.max(tat ?? now, now);
  const next = base + emissionMs;
  const allowAt = next - toleranceMs;
  if (allowAt <= now) return { allowed: true, tat: next, allowAt: now };
  return { allowed: false, tat: tat ?? now, allowAt };
}
