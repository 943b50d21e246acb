import type { Attributes, HrTime, SpanContext, SpanKind, SpanStatus } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { derivedSpanId, runTraceId } from "../protocol/trace-context.js";
import type { HistoryTableRow } from "../store/history-sql.js";
import type { SummaryRow } from "../store/runs-sql.js";
import type { SpanRow } from "../store/spans-sql.js";
import type { RunStatus, WireEvent } from "../types.js";

/**
 * One ended run as OpenTelemetry spans (`ReadableSpan`s, what the OTLP exporter serializes): a root span for the run,
 * a child per entry of its trace (each step attempt, sleep, wait, invoke, the function's own outcome), and the spans
 * its code made (Extended Traces) under the step attempt they were made in. All in the run's trace (`runTraceId`, the
 * trace id of every request the engine sent for it); span ids are derived from what they stand for, so exporting a
 * run twice sends the same spans. Only types are imported from OpenTelemetry: nothing of it loads unless exporting.
 */

/** What a run's spans are built from. */
export interface RunTraceSource {
  run: SummaryRow;
  appId: string | undefined;
  history: HistoryTableRow[];
  spans: SpanRow[];
}

/** The resources and scope the spans are reported under (the exporter's module makes them). */
export interface SpanOrigins {
  engine: Resource;
  /** The resource of an app's spans, by the `service.name` it reported. */
  app(service: string): Resource;
  scope: { name: string; version?: string };
}

const STATUS = { UNSET: 0, OK: 1, ERROR: 2 } as const;
const INTERNAL = 0 as SpanKind;
const SAMPLED = 1;
const ERROR_STATUSES = new Set(["errored", "failed", "timed_out"]);

const hrOfMs = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
const hrOfNs = (ns: string): HrTime => {
  const n = BigInt(ns);
  return [Number(n / 1_000_000_000n), Number(n % 1_000_000_000n)];
};
const hrDiff = (a: HrTime, b: HrTime): HrTime => {
  const ns = (BigInt(b[0]) - BigInt(a[0])) * 1_000_000_000n + BigInt(b[1] - a[1]);
  return hrOfNs((ns < 0n ? 0n : ns).toString());
};

/** "Name: message" of an error as the engine stores it (`{name, message, stack}`), or its JSON. */
function errorText(error: unknown): string | undefined {
  if (error == null) return undefined;
  const e = error as { name?: unknown; message?: unknown };
  if (typeof e.message === "string") return typeof e.name === "string" ? `${e.name}: ${e.message}` : e.message;
  return JSON.stringify(error).slice(0, 1000);
}

interface SpanParts {
  name: string;
  traceId: string;
  spanId: string;
  parentId?: string;
  start: HrTime;
  end: HrTime;
  attributes: Attributes;
  status: SpanStatus;
  kind?: SpanKind;
  resource: Resource;
  scope: { name: string; version?: string };
  events?: ReadableSpan["events"];
}

function readable(p: SpanParts): ReadableSpan {
  const context: SpanContext = { traceId: p.traceId, spanId: p.spanId, traceFlags: SAMPLED };
  return {
    name: p.name,
    kind: p.kind ?? INTERNAL,
    spanContext: () => context,
    parentSpanContext: p.parentId ? { traceId: p.traceId, spanId: p.parentId, traceFlags: SAMPLED } : undefined,
    startTime: p.start,
    endTime: p.end,
    duration: hrDiff(p.start, p.end),
    status: p.status,
    attributes: p.attributes,
    links: [],
    events: p.events ?? [],
    ended: true,
    resource: p.resource,
    instrumentationScope: p.scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

function runStatus(status: RunStatus, error: unknown): SpanStatus {
  if (status === "completed") return { code: STATUS.OK };
  if (status === "failed") return { code: STATUS.ERROR, message: errorText(error) };
  return { code: STATUS.UNSET };
}

function rootSpan(src: RunTraceSource, traceId: string, o: SpanOrigins): ReadableSpan {
  const { run } = src;
  const trigger = (run.events as WireEvent[] | undefined)?.[0];
  const attributes: Attributes = {
    "inngest.run.id": run.id,
    "inngest.function.id": run.function_slug,
    "inngest.run.status": run.status,
  };
  if (src.appId) attributes["inngest.app.id"] = src.appId;
  if (trigger) attributes["inngest.event.name"] = trigger.name;
  if (run.event_ids[0]) attributes["inngest.event.id"] = run.event_ids[0];
  if (run.replay_of) attributes["inngest.run.replay_of"] = run.replay_of;
  if (run.cancel_reason) attributes["inngest.run.cancel_reason"] = run.cancel_reason;
  const start = hrOfMs(Number(run.created_at));
  return readable({
    name: run.function_slug,
    traceId,
    spanId: derivedSpanId(`run:${run.id}`),
    start,
    end: run.ended_at == null ? start : hrOfMs(Number(run.ended_at)),
    attributes,
    status: runStatus(run.status, run.error),
    resource: o.engine,
    scope: o.scope,
  });
}

function entrySpan(h: HistoryTableRow, run: SummaryRow, traceId: string, rootId: string, o: SpanOrigins): ReadableSpan {
  const attributes: Attributes = { "inngest.step.kind": h.kind, "inngest.step.status": h.status, "inngest.step.attempt": h.attempt };
  if (h.step_hash) attributes["inngest.step.hash"] = h.step_hash;
  if (h.step_name) attributes["inngest.step.name"] = h.step_name;
  const error = errorText(h.error);
  const status: SpanStatus =
    h.status === "completed" ? { code: STATUS.OK } : ERROR_STATUSES.has(h.status) ? { code: STATUS.ERROR, message: error } : { code: 0 };
  const start = hrOfMs(Number(h.started_at));
  const ended = h.ended_at ?? run.ended_at;
  return readable({
    name: h.kind === "function" ? "function" : (h.step_name ?? h.kind),
    traceId,
    spanId: derivedSpanId(`history:${h.id}`),
    parentId: rootId,
    start,
    end: ended == null ? start : hrOfMs(Math.max(Number(ended), Number(h.started_at))),
    attributes,
    status,
    resource: o.engine,
    scope: o.scope,
  });
}

/** Where a span made directly in a step (or outside any) goes: its step attempt's span, else the step's, else the run. */
function stepParent(history: HistoryTableRow[], rootId: string) {
  const byAttempt = new Map<string, string>();
  const byStep = new Map<string, string>();
  for (const h of history) {
    if (!h.step_hash || h.kind === "function") continue;
    const id = derivedSpanId(`history:${h.id}`);
    if (!byAttempt.has(`${h.step_hash}:${h.attempt}`)) byAttempt.set(`${h.step_hash}:${h.attempt}`, id);
    if (!byStep.has(h.step_hash)) byStep.set(h.step_hash, id);
  }
  return (s: SpanRow) => (s.step_hash && (byAttempt.get(`${s.step_hash}:${s.attempt}`) ?? byStep.get(s.step_hash))) || rootId;
}

function userlandSpans(src: RunTraceSource, traceId: string, rootId: string, o: SpanOrigins): ReadableSpan[] {
  // New ids in the run's trace: an app that also exports its own spans must not find the same ids twice there.
  const idOf = (spanId: string) => derivedSpanId(`span:${src.run.id}:${spanId}`);
  const known = new Set(src.spans.map((s) => s.span_id));
  const inStep = stepParent(src.history, rootId);
  return src.spans.map((s) => {
    const attributes: Attributes = { ...(s.attributes as Attributes), "inngest.userland.span_id": s.span_id };
    // The SDK's own names: inngest.step.id (the step's id in code) stays as it sent it, the hash and attempt come back.
    if (s.step_hash) attributes["inngest.step.hash"] = s.step_hash;
    if (s.attempt != null) attributes["inngest.step.attempt"] = s.attempt;
    return readable({
      name: s.name,
      traceId,
      spanId: idOf(s.span_id),
      parentId: s.parent_span_id && known.has(s.parent_span_id) ? idOf(s.parent_span_id) : inStep(s),
      start: hrOfNs(s.start_ns),
      end: hrOfNs(s.end_ns),
      attributes,
      status: { code: STATUSES[s.status] ?? STATUS.UNSET, message: s.status_message ?? undefined },
      kind: Math.max(0, s.kind - 1) as SpanKind, // OTLP numbers kinds from 1; the API from 0
      resource: o.app(s.service ?? src.appId ?? "unknown_service"),
      scope: { name: s.scope ?? "userland", version: s.scope_version ?? undefined },
      events: s.events.map((e) => ({ name: e.name, time: hrOfNs(e.time_ns), attributes: e.attributes as Attributes })),
    });
  });
}

const STATUSES: Record<string, number> = { unset: STATUS.UNSET, ok: STATUS.OK, error: STATUS.ERROR };

/** Every span of one ended run, the root first. */
export function runTraceSpans(src: RunTraceSource, origins: SpanOrigins): ReadableSpan[] {
  const traceId = runTraceId(src.run.id);
  const root = rootSpan(src, traceId, origins);
  const rootId = root.spanContext().spanId;
  const entries = src.history.filter((h) => h.kind !== "metadata").map((h) => entrySpan(h, src.run, traceId, rootId, origins));
  return [root, ...entries, ...userlandSpans(src, traceId, rootId, origins)];
}
