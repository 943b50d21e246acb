/** A retry's wait: the time between an attempt's failure and the next attempt of the same step. */
export interface Backoff {
  /** When the failed attempt ended. */
  from: number;
  ms: number;
}

/**
 * The backoff before each retry of a step (same step, attempt n after n-1), keyed by the retry's id, so a timeline
 * can label the gap ("retry 2 in 4 s") and draw it. Rows are any trace's: the run page's or the job page's steps.
 */
export function backoffsOf<T>(
  rows: T[],
  get: (r: T) => { id: string; step: string | null; attempt: number; start: string | null; end: string | null },
): Map<string, Backoff> {
  const out = new Map<string, Backoff>();
  const byAttempt = new Map<string, { end: string | null }>();
  for (const r of rows) {
    const g = get(r);
    if (g.step) byAttempt.set(`${g.step}|${g.attempt}`, { end: g.end });
  }
  for (const r of rows) {
    const g = get(r);
    if (!g.step || g.attempt === 0 || !g.start) continue;
    const before = byAttempt.get(`${g.step}|${g.attempt - 1}`);
    if (!before?.end) continue;
    const from = Date.parse(before.end);
    const ms = Date.parse(g.start) - from;
    if (Number.isFinite(ms) && ms >= 0) out.set(g.id, { from, ms });
  }
  return out;
}
