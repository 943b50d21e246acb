import type { SpanRow } from "../store/spans-sql.js";

/** OTLP's SpanKind numbers, named. */
const KIND_NAMES = ["unspecified", "internal", "server", "client", "producer", "consumer"];

function isoOfNs(ns: bigint): string | null {
  const d = new Date(Number(ns / 1_000_000n));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * A run's userland spans as `GET /v1/runs/:id` shows them, in the order they started: `step_id` and `attempt` name the
 * step attempt a span was made in (the `steps` entry with the same `step_id` and `attempt`), `parent_span_id` the span
 * it was made in; null for a span made directly in the step or outside any step, which a view nests under the step
 * (or the run) itself. A parent that never arrived counts as none, so no span is left without a place.
 */
export function spanViews(rows: SpanRow[]) {
  const ids = new Set(rows.map((r) => r.span_id));
  return rows.map((r) => {
    const start = BigInt(r.start_ns);
    const end = BigInt(r.end_ns);
    return {
      span_id: r.span_id,
      parent_span_id: r.parent_span_id && ids.has(r.parent_span_id) ? r.parent_span_id : null,
      step_id: r.step_hash,
      attempt: r.attempt,
      name: r.name,
      kind: KIND_NAMES[r.kind] ?? "unspecified",
      started_at: isoOfNs(start),
      ended_at: isoOfNs(end),
      /** Sub-millisecond: many spans (a query, a cache read) are shorter than a millisecond. */
      duration_ms: Math.round(Number(end - start) / 1000) / 1000,
      status: r.status,
      status_message: r.status_message,
      scope: r.scope,
      service: r.service,
      attributes: r.attributes,
      events: r.events.map((e) => ({ name: e.name, at: isoOfNs(BigInt(e.time_ns)), attributes: e.attributes })),
    };
  });
}
