import { createHash, randomBytes } from "node:crypto";

/**
 * W3C trace context on execution requests (`traceparent`, `tracestate`), which is what turns the SDK's Extended
 * Traces on: its span processor tracks and exports nothing for a request without a `traceparent` (inngest 4.24.0,
 * components/execution/otel/processor.js declareStartingSpan). The same ids name the run's trace when the engine
 * exports it over OTLP (runs/trace-export.ts), so one run is one trace everywhere.
 */

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** A ULID's 128 bits as 32 lowercase hex digits (a ULID is 26 base-32 digits, the first at most 7). */
function ulidHex(id: string): string {
  let n = 0n;
  for (const ch of id.toUpperCase()) n = n * 32n + BigInt(CROCKFORD.indexOf(ch));
  return n.toString(16).padStart(32, "0");
}

/**
 * The run's trace id: the run id's own 128 bits when it is a ULID (as every run id the engine makes is), so a trace
 * found in a collector names its run and the right-most bytes are the ULID's randomness, as W3C asks of a trace id;
 * a SHA-256 of it otherwise. Never all zeros (an invalid trace id W3C says to ignore).
 */
export function runTraceId(runId: string): string {
  const hex = ULID.test(runId) ? ulidHex(runId) : createHash("sha256").update(runId).digest("hex").slice(0, 32);
  return hex === ZERO_TRACE ? `${ZERO_TRACE.slice(0, 31)}1` : hex;
}

/** A span id derived from `seed` (16 hex digits, never all zeros): the same span gets the same id on every export. */
export function derivedSpanId(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex").slice(0, 16);
  return hex === ZERO_SPAN ? `${ZERO_SPAN.slice(0, 15)}1` : hex;
}

/** A fresh span id for one request (16 hex digits, never all zeros). */
export function newSpanId(): string {
  const hex = randomBytes(8).toString("hex");
  return hex === ZERO_SPAN ? newSpanId() : hex;
}

/**
 * The trace headers of one execution request. `traceparent` is sampled (`-01`): an app whose provider samples by its
 * parent would otherwise record nothing. `tracestate` carries the app and function the way the SDK reads them back
 * into `sys.app.id` / `sys.function.id` (it splits on "," and "=", so values are URL-encoded and there are no spaces).
 */
export function traceHeaders(runId: string, appId: string, fnSlug: string): { traceparent: string; tracestate: string } {
  return {
    traceparent: `00-${runTraceId(runId)}-${newSpanId()}-01`,
    tracestate: `inngest@app=${encodeURIComponent(appId)},inngest@fn=${encodeURIComponent(fnSlug)}`,
  };
}
