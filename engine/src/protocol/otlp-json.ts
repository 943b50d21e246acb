import { truncateText } from "@jobdeck/safe-json";
import { BadRequestError, PayloadTooLargeError } from "../errors.js";
import { isUlid } from "../util/ulid.js";
import { ATTRIBUTE_LIMITS, type Budget, keyValues, rawAttribute } from "./otlp-values.js";

/**
 * An OTLP/HTTP JSON `ExportTraceServiceRequest` as the SDK's Extended Traces send it to `/v1/traces/userland`
 * (resourceSpans → scopeSpans → spans; ids in hex, times as nanosecond strings), read into the spans the engine
 * keeps. A body of the wrong shape is refused whole (400, as Inngest's protojson.Unmarshal refuses it); a span the
 * engine cannot place (no `sdk.run.id`) is counted as rejected, as Inngest counts it.
 */

export const MAX_SPANS_PER_REQUEST = 10_000;
const MAX_NAME_CHARS = 1024;
const MAX_STATUS_CHARS = 4096;
const MAX_EVENTS = 32;

/** The SDK's span around a whole request (scope "inngest"): never shown, its children are shown in its place. */
const WRAPPER = { scope: "inngest", name: "inngest.execution" };

/** What the SDK's processor adds to every span to say where it belongs; kept in columns, not in the attributes. */
const LINK_ATTRIBUTES: ReadonlySet<string> = new Set([
  "sdk.run.id",
  "sdk.app.id",
  "sys.app.id",
  "sys.function.id",
  "inngest.traceparent",
  "inngest.traceref",
  "inngest.step.hash",
  "inngest.step.attempt",
  "inngest.step.parentSpanId",
]);

export type SpanStatus = "unset" | "ok" | "error";

export interface SpanEventRecord {
  name: string;
  time_ns: string;
  attributes: Record<string, unknown>;
}

/** One userland span, as stored (store/spans-sql.ts). Times are nanoseconds since the epoch, as decimal strings. */
export interface UserlandSpan {
  runId: string;
  traceId: string;
  spanId: string;
  /** The span it was made in; null for a span made directly in the step (or the function): its parent was the wrapper. */
  parentSpanId: string | null;
  /** The step it was made in (`inngest.step.hash`), and the attempt of it; null outside steps. */
  stepHash: string | null;
  attempt: number | null;
  name: string;
  /** OTLP's SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNs: string;
  endNs: string;
  status: SpanStatus;
  statusMessage: string | null;
  scope: string | null;
  scopeVersion: string | null;
  service: string | null;
  attributes: Record<string, unknown>;
  events: SpanEventRecord[];
}

export interface ParsedTraces {
  spans: UserlandSpan[];
  /** Spans refused one by one (no run to belong to, an end before the start). */
  rejected: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function fail(path: string, what: string): never {
  throw new BadRequestError(`${path}: ${what}`);
}

function listAt(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return fail(path, "must be an array");
  return v;
}

function hexId(v: unknown, digits: number, path: string, optional: boolean): string | null {
  if (optional && (v === undefined || v === null || v === "")) return null;
  if (typeof v === "string" && v.length === digits && /^[0-9a-f]+$/i.test(v)) return v.toLowerCase();
  return fail(path, `must be ${digits} hex digits`);
}

const MAX_NS = 2n ** 63n - 1n;

/** A fixed64 of nanoseconds: a decimal string (protojson) or a JSON number. */
function nanos(v: unknown, path: string): string {
  const text = typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? String(v) : v;
  if (typeof text === "string" && /^\d{1,19}$/.test(text) && BigInt(text) <= MAX_NS) return BigInt(text).toString();
  return fail(path, "must be nanoseconds since the epoch (a decimal string)");
}

/** An enum as protojson takes it: its number, or its name (`SPAN_KIND_CLIENT`, `STATUS_CODE_ERROR`). */
function enumOf(v: unknown, names: readonly string[], path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v < names.length) return v;
  if (typeof v === "string" && names.includes(v)) return names.indexOf(v);
  return fail(path, `must be one of ${names.join(", ")} or its number`);
}

const KINDS = [
  "SPAN_KIND_UNSPECIFIED",
  "SPAN_KIND_INTERNAL",
  "SPAN_KIND_SERVER",
  "SPAN_KIND_CLIENT",
  "SPAN_KIND_PRODUCER",
  "SPAN_KIND_CONSUMER",
];
const CODES = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];
const STATUSES: readonly SpanStatus[] = ["unset", "ok", "error"];

function text(v: unknown, path: string, max: number): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") return fail(path, "must be a string");
  return truncateText(v, max);
}

function spanEvents(list: unknown, path: string, budget: Budget): SpanEventRecord[] {
  return listAt(list, path)
    .slice(0, MAX_EVENTS)
    .map((e, i) => {
      const at = `${path}[${i}]`;
      if (!isObject(e)) return fail(at, "must be an object");
      return {
        name: text(e.name, `${at}.name`, MAX_NAME_CHARS),
        time_ns: nanos(e.timeUnixNano ?? 0, `${at}.timeUnixNano`),
        attributes: keyValues(e.attributes, `${at}.attributes`, budget),
      };
    });
}

/** Where a span came from: its resource's service and its instrumentation scope. */
interface Origin {
  service: string | null;
  scope: string | null;
  scopeVersion: string | null;
}

/** One span, or null when it is the SDK's wrapper (its id is then remembered in `wrappers`). */
function readSpan(raw: unknown, path: string, origin: Origin, wrappers: Set<string>): UserlandSpan | "rejected" | null {
  if (!isObject(raw)) return fail(path, "a span must be an object");
  const traceId = hexId(raw.traceId, 32, `${path}.traceId`, false) as string;
  const spanId = hexId(raw.spanId, 16, `${path}.spanId`, false) as string;
  const parentSpanId = hexId(raw.parentSpanId, 16, `${path}.parentSpanId`, true);
  const name = text(raw.name, `${path}.name`, MAX_NAME_CHARS);
  const kind = enumOf(raw.kind, KINDS, `${path}.kind`);
  const startNs = nanos(raw.startTimeUnixNano ?? 0, `${path}.startTimeUnixNano`);
  const endNs = nanos(raw.endTimeUnixNano ?? 0, `${path}.endTimeUnixNano`);
  if (raw.status !== undefined && raw.status !== null && !isObject(raw.status)) return fail(`${path}.status`, "must be an object");
  const status = (raw.status ?? {}) as Record<string, unknown>;
  const code = enumOf(status.code, CODES, `${path}.status.code`);
  const statusMessage = text(status.message, `${path}.status.message`, MAX_STATUS_CHARS) || null;
  const budget: Budget = { left: ATTRIBUTE_LIMITS.budgetChars };
  const attributes = keyValues(raw.attributes, `${path}.attributes`, budget, 0, LINK_ATTRIBUTES);
  const events = spanEvents(raw.events, `${path}.events`, budget);
  if (origin.scope === WRAPPER.scope && name === WRAPPER.name) {
    wrappers.add(spanId);
    return null;
  }
  const runId = rawAttribute(raw.attributes, "sdk.run.id");
  if (typeof runId !== "string" || !isUlid(runId) || BigInt(endNs) < BigInt(startNs)) return "rejected";
  const stepHash = rawAttribute(raw.attributes, "inngest.step.hash");
  const attempt = Number(rawAttribute(raw.attributes, "inngest.step.attempt"));
  // A span made directly in a step carries inngest.step.parentSpanId (processor.js trackSpan): its parent is the wrapper.
  const direct = rawAttribute(raw.attributes, "inngest.step.parentSpanId") !== undefined;
  return {
    runId: runId.toUpperCase(),
    traceId,
    spanId,
    parentSpanId: direct ? null : parentSpanId,
    stepHash: typeof stepHash === "string" && /^[0-9a-f]{1,128}$/i.test(stepHash) ? stepHash : null,
    attempt: Number.isSafeInteger(attempt) && attempt >= 0 ? attempt : null,
    name,
    kind,
    startNs,
    endNs,
    status: STATUSES[code] as SpanStatus,
    statusMessage,
    ...origin,
    attributes,
    events,
  };
}

function originOf(resource: unknown, scope: unknown, path: string): Origin {
  if (resource !== undefined && resource !== null && !isObject(resource)) return fail(`${path}.resource`, "must be an object");
  if (scope !== undefined && scope !== null && !isObject(scope)) return fail(`${path}.scope`, "must be an object");
  const service = rawAttribute((resource as Record<string, unknown> | undefined)?.attributes, "service.name");
  const sc = (scope ?? {}) as Record<string, unknown>;
  return {
    service: typeof service === "string" ? truncateText(service, MAX_NAME_CHARS) : null,
    scope: text(sc.name, `${path}.scope.name`, MAX_NAME_CHARS) || null,
    scopeVersion: text(sc.version, `${path}.scope.version`, MAX_NAME_CHARS) || null,
  };
}

/** Reads a whole request; throws a 400 (wrong shape) or a 413 (too many spans) before anything is kept. */
export function parseOtlpTraces(body: unknown): ParsedTraces {
  if (!isObject(body)) return fail("body", "must be an OTLP ExportTraceServiceRequest object ({resourceSpans: [...]})");
  const out: ParsedTraces = { spans: [], rejected: 0 };
  const wrappers = new Set<string>();
  let count = 0;
  const resourceSpans = listAt(body.resourceSpans, "resourceSpans");
  for (let i = 0; i < resourceSpans.length; i++) {
    const rs = resourceSpans[i];
    const rsPath = `resourceSpans[${i}]`;
    if (!isObject(rs)) return fail(rsPath, "must be an object");
    const scopeSpans = listAt(rs.scopeSpans, `${rsPath}.scopeSpans`);
    for (let j = 0; j < scopeSpans.length; j++) {
      const ss = scopeSpans[j];
      const ssPath = `${rsPath}.scopeSpans[${j}]`;
      if (!isObject(ss)) return fail(ssPath, "must be an object");
      const origin = originOf(rs.resource, ss.scope, ssPath);
      const list = listAt(ss.spans, `${ssPath}.spans`);
      count += list.length;
      if (count > MAX_SPANS_PER_REQUEST)
        throw new PayloadTooLargeError(`more than ${MAX_SPANS_PER_REQUEST} spans in one request: send them in smaller batches`);
      for (let k = 0; k < list.length; k++) {
        const span = readSpan(list[k], `${ssPath}.spans[${k}]`, origin, wrappers);
        if (span === "rejected") out.rejected++;
        else if (span) out.spans.push(span);
      }
    }
  }
  // Children of a wrapper sent in the same request are shown in its place (outside a step they carry no other mark).
  for (const span of out.spans) if (span.parentSpanId && wrappers.has(span.parentSpanId)) span.parentSpanId = null;
  return out;
}
