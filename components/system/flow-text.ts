/** A function's flow control (Inngest's registered config) as sentences people read, one per setting. */
import { celInWords } from "./cel-words";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => Boolean(v) && typeof v === "object" && !Array.isArray(v);
const per = (key: unknown) => (typeof key === "string" && key ? ` per ${celInWords(key)}` : "");
const cel = (v: unknown) => (typeof v === "string" ? celInWords(v) : str(v));
const str = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : JSON.stringify(v));

const DESCRIBE: Record<string, (v: unknown) => string[]> = {
  concurrency: (v) =>
    (Array.isArray(v) ? v : [v]).filter(isObj).map((c) => {
      const scope = c.scope && c.scope !== "fn" ? ` across the ${str(c.scope)}` : "";
      return `at most ${str(c.limit)} running${per(c.key)}${scope}`;
    }),
  priority: (v) => (isObj(v) && v.run ? [`priority from the event's ${cel(v.run)}`] : []),
  throttle: (v) =>
    isObj(v) ? [`starts at most ${str(v.limit)} per ${str(v.period)}${v.burst ? ` (bursts of ${str(v.burst)})` : ""}${per(v.key)}`] : [],
  rateLimit: (v) => (isObj(v) ? [`runs at most ${str(v.limit)} per ${str(v.period)}${per(v.key)}, the rest skipped`] : []),
  idempotency: (v) => [`one run per ${cel(v)} in 24 h`],
  debounce: (v) =>
    isObj(v)
      ? [`debounced: runs ${str(v.period)} after the last event${per(v.key)}${v.timeout ? `, at most ${str(v.timeout)} late` : ""}`]
      : [],
  batchEvents: (v) => (isObj(v) ? [`batches of up to ${str(v.maxSize)} events within ${str(v.timeout)}${per(v.key)}`] : []),
  singleton: (v) => (isObj(v) ? [`one run at a time${per(v.key)} (${str(v.mode ?? "skip")} the new one)`] : []),
  cancel: (v) =>
    (Array.isArray(v) ? v : [v])
      .filter(isObj)
      .map((c) => `cancelled by ${str(c.event)}${c.if ? ` for ${cel(c.if)}` : ""}${c.timeout ? ` within ${str(c.timeout)}` : ""}`),
  timeouts: (v) =>
    isObj(v)
      ? [v.start ? `must start within ${str(v.start)}` : "", v.finish ? `must finish within ${str(v.finish)}` : ""].filter(Boolean)
      : [],
};

export function describeFlow(flow: Record<string, unknown>): string[] {
  return Object.entries(flow)
    .filter(([, v]) => v !== null && v !== undefined)
    .flatMap(([k, v]) => DESCRIBE[k]?.(v) ?? [`${k}: ${JSON.stringify(v)}`]);
}
