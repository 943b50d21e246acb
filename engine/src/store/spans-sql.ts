import { storableJsonExact } from "@jobdeck/safe-json";
import type pg from "pg";
import type { SpanEventRecord, SpanStatus, UserlandSpan } from "../protocol/otlp-json.js";

/**
 * The spans table: spans an app's own code made in a run (Extended Traces, POST /v1/traces/userland). Written here
 * directly, not through the journal: they are no state the engine acts on, and the app's request waits for the answer.
 */

/** A stored span as the run's view and the export read it (times as decimal strings of nanoseconds). */
export interface SpanRow {
  run_id: string;
  span_id: string;
  trace_id: string;
  parent_span_id: string | null;
  step_hash: string | null;
  attempt: number | null;
  name: string;
  kind: number;
  start_ns: string;
  end_ns: string;
  status: SpanStatus;
  status_message: string | null;
  scope: string | null;
  scope_version: string | null;
  service: string | null;
  attributes: Record<string, unknown>;
  events: SpanEventRecord[];
}

const COLUMNS =
  "run_id, span_id, trace_id, parent_span_id, step_hash, attempt, name, kind, start_ns, end_ns, status, status_message, scope, scope_version, service, attributes, events";

/**
 * Stores spans of runs that exist (a span naming no run is dropped: nothing would ever delete it), at most `perRun`
 * per run in all, in the order sent; a span already stored (the app's exporter sent it again) is kept as it was and
 * takes no second place. Returns how many were stored. One statement, so a request's spans are stored all or none.
 */
export async function insertSpans(pool: pg.Pool, s: string, spans: UserlandSpan[], perRun: number): Promise<number> {
  if (!spans.length) return 0;
  const rows = spans.map((x, ord) => ({
    run_id: x.runId,
    span_id: x.spanId,
    trace_id: x.traceId,
    parent_span_id: x.parentSpanId,
    step_hash: x.stepHash,
    attempt: x.attempt,
    name: x.name,
    kind: x.kind,
    start_ns: x.startNs,
    end_ns: x.endNs,
    status: x.status,
    status_message: x.statusMessage,
    scope: x.scope,
    scope_version: x.scopeVersion,
    service: x.service,
    attributes: x.attributes,
    events: x.events,
    ord,
  }));
  const { rowCount } = await pool.query(
    `WITH x AS (
       SELECT DISTINCT ON (run_id, span_id) * FROM jsonb_to_recordset($1::jsonb) AS x(run_id text, span_id text, trace_id text,
         parent_span_id text, step_hash text, attempt integer, name text, kind smallint, start_ns bigint, end_ns bigint, status text,
         status_message text, scope text, scope_version text, service text, attributes jsonb, events jsonb, ord integer)
       ORDER BY run_id, span_id, ord
     ),
     fresh AS (
       SELECT x.* FROM x WHERE NOT EXISTS (SELECT 1 FROM ${s}.spans p WHERE p.run_id = x.run_id AND p.span_id = x.span_id)
     ),
     known AS (
       SELECT r.id, (SELECT count(*) FROM ${s}.spans p WHERE p.run_id = r.id) AS stored
         FROM ${s}.runs r WHERE r.id IN (SELECT DISTINCT run_id FROM fresh)
     ),
     ranked AS (
       SELECT f.*, k.stored, row_number() OVER (PARTITION BY f.run_id ORDER BY f.ord) AS n FROM fresh f JOIN known k ON k.id = f.run_id
     )
     INSERT INTO ${s}.spans (${COLUMNS})
       SELECT ${COLUMNS} FROM ranked WHERE stored + n <= $2
     ON CONFLICT (run_id, span_id) DO NOTHING`,
    [storableJsonExact(rows), perRun],
  );
  return rowCount ?? 0;
}

/** A run's spans in the order they started. */
export async function selectRunSpans(pool: pg.Pool, s: string, runId: string): Promise<SpanRow[]> {
  return selectSpansOfRuns(pool, s, [runId]);
}

/** The spans of these runs, each run's in the order they started. */
export async function selectSpansOfRuns(pool: pg.Pool, s: string, runIds: string[]): Promise<SpanRow[]> {
  const { rows } = await pool.query(
    `SELECT run_id, span_id, trace_id, parent_span_id, step_hash, attempt, name, kind, start_ns::text AS start_ns, end_ns::text AS end_ns,
            status, status_message, scope, scope_version, service, attributes, events
       FROM ${s}.spans WHERE run_id = ANY($1::text[]) ORDER BY run_id, start_ns, span_id`,
    [runIds],
  );
  return rows;
}
