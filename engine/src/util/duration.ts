/**
 * Inngest duration strings: "500ms", "30s", "1m", "1h30m", "2d", "1w" (Go str2duration style).
 * Returns milliseconds, or throws with a message naming the bad value.
 */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w)/gy;

export function parseDuration(input: string | number): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) throw new Error(`invalid duration ${input}`);
    return input;
  }
  const text = input.trim();
  if (text === "") throw new Error("empty duration");
  if (/^\d+$/.test(text)) return Number(text) * 1000; // a bare number is seconds, as in retry-after
  let total = 0;
  PART.lastIndex = 0;
  let consumed = 0;
  for (let m = PART.exec(text); m; m = PART.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
    consumed = PART.lastIndex;
  }
  if (consumed !== text.length || consumed === 0) throw new Error(`invalid duration "${input}"`);
  return Math.round(total);
}

/** The longest any sleep, wait or timeout may last, as on Inngest (a year; 366 days covers a leap year). */
export const MAX_WAIT_MS = 366 * 86_400_000;

/**
 * A duration or an absolute time (ISO date) as the SDK sends for sleeps and timeouts, as an epoch-ms deadline
 * between `now` and `now + maxMs`: "99999999999999999999s" or the year 275760 become a year from now, not a number
 * no column can hold.
 */
export function parseDeadline(input: string, now: number, maxMs = MAX_WAIT_MS): number {
  let at: number;
  try {
    at = now + parseDuration(input);
  } catch {
    at = Date.parse(input);
    if (Number.isNaN(at)) throw new Error(`invalid duration or date "${input}"`);
  }
  return Math.min(Math.max(at, now), now + maxMs);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
}
