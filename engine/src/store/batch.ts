import { storableJsonExact } from "@jobdeck/safe-json";
import type { EventRecord, HistoryRow, Pause, QueueItem, RunState, StateRow } from "../types.js";

/**
 * One flush of the journal: every row written since the last one, coalesced by primary key, and the one SQL
 * statement (data-modifying CTEs over jsonb_to_recordset) that writes them atomically in one round trip.
 */
export interface Batch {
  events: EventRecord[];
  runInserts: Map<string, RunState>;
  runUpdates: Map<string, RunState>;
  memos: Map<string, { runId: string; hash: string; seq: number; memo: unknown }>;
  items: Map<string, QueueItem | null>;
  pauses: Map<string, Pause | null>;
  history: Map<string, HistoryRow>;
  state: Map<string, StateRow | { kind: string; key: string; deleted: true }>;
  waiters: Array<{ resolve: () => void; reject: (e: Error) => void }>;
  size: number;
}

export function emptyBatch(): Batch {
  return {
    events: [],
    runInserts: new Map(),
    runUpdates: new Map(),
    memos: new Map(),
    items: new Map(),
    pauses: new Map(),
    history: new Map(),
    state: new Map(),
    waiters: [],
    size: 0,
  };
}

/**
 * Flow state an event marks once: its id's dedup mark and its idempotency key. Written only when memory does not hold
 * the key (a duplicate is skipped without a write) and kept a day, so no flush under way holds the same key.
 */
const FIRST_MARKS = new Set(["dedup", "idempotency"]);

/**
 * Whether a batch only adds rows of its own: events, runs it inserts, those runs' queue items, memos, pauses and
 * history, and the event's first marks. Nothing in it names a row another batch wrote, so it can be written beside a
 * flush under way.
 */
export function addsOnlyItsOwnRows(b: Batch): boolean {
  if (b.runUpdates.size > 0) return false;
  for (const st of b.state.values()) if ("deleted" in st || !FIRST_MARKS.has(st.kind)) return false;
  const own = (runId: string) => b.runInserts.has(runId);
  for (const item of b.items.values()) if (!item || !own(item.runId)) return false;
  for (const pause of b.pauses.values()) if (!pause || !own(pause.runId)) return false;
  for (const memo of b.memos.values()) if (!own(memo.runId)) return false;
  for (const row of b.history.values()) if (!own(row.runId)) return false;
  return true;
}

/** Adds `later`'s rows to `into` as if they had been written there after its own (the same coalescing by key). */
export function mergeBatch(into: Batch, later: Batch): void {
  for (const e of later.events) into.events.push(e);
  for (const [id, r] of later.runInserts) into.runInserts.set(id, r);
  // A run inserted by `into` is written with its latest state (the same object): no update of it is needed.
  for (const [id, r] of later.runUpdates) if (!into.runInserts.has(id)) into.runUpdates.set(id, r);
  for (const [k, v] of later.memos) into.memos.set(k, v);
  for (const [k, v] of later.items) into.items.set(k, v);
  for (const [k, v] of later.pauses) into.pauses.set(k, v);
  for (const [k, v] of later.history) into.history.set(k, v);
  for (const [k, v] of later.state) into.state.set(k, v);
  for (const w of later.waiters) into.waiters.push(w);
  into.size += later.size;
}

/** Every row's strings kept exactly: what jsonb cannot hold is escaped, and read back through store/stored-types.ts. */
const json = storableJsonExact;

function runMutable(r: RunState) {
  return {
    id: r.id,
    status: r.status,
    started_at: r.startedAt ?? null,
    ended_at: r.endedAt ?? null,
    output: r.output === undefined ? null : r.output,
    error: r.error === undefined ? null : r.error,
    request_version: r.requestVersion,
    force_step_plan: r.forceStepPlan,
    pending: [...r.pending],
    cancel_reason: r.cancelReason ?? null,
    defers: r.defers ?? null,
    metadata_bytes: r.metadataBytes ?? 0,
  };
}

function itemRow(i: QueueItem) {
  return {
    id: i.id,
    run_id: i.runId,
    kind: i.kind,
    step_id: i.stepId,
    attempt: i.attempt,
    at: i.at,
    data: {
      fnSlug: i.fnSlug,
      score: i.score,
      isStart: i.isStart,
      concurrency: i.concurrency,
      throttleKey: i.throttleKey,
      data: i.data,
      wait: i.wait,
    },
  };
}

/** One data-modifying statement of the batch's SQL and its single parameter ($1, renumbered when combined). */
type Part = [sql: string, param: unknown];

function eventParts(s: string, b: Batch): Part[] {
  if (!b.events.length) return [];
  const rows = b.events.map((e) => ({
    internal_id: e.internalId,
    id: e.id,
    name: e.name,
    data: e.data,
    user: e.user ?? null,
    v: e.v ?? null,
    meta: e.meta ?? null,
    ts: e.ts,
    received_at: e.receivedAt,
    fate: e.fate ?? null,
  }));
  return [
    [
      `INSERT INTO ${s}.events (internal_id, id, name, data, "user", v, meta, ts, received_at, fate)
       SELECT internal_id, id, name, data, "user", v, meta, ts, received_at, fate
       FROM jsonb_to_recordset($1::jsonb) AS x(internal_id text, id text, name text, data jsonb, "user" jsonb, v text, meta jsonb, ts bigint,
         received_at bigint, fate jsonb)
       ON CONFLICT (internal_id) DO NOTHING`,
      json(rows),
    ],
  ];
}

function runParts(s: string, b: Batch): Part[] {
  const parts: Part[] = [];
  if (b.runInserts.size) {
    // Added to the mutable columns' object, not spread into a new one: in Node 20's V8 an object spread followed by
    // new properties takes a slow path (~10 µs a run here, the largest single cost of the engine's event intake).
    const rows = [...b.runInserts.values()].map((r) =>
      Object.assign(runMutable(r), {
        function_slug: r.fnSlug,
        event_ids: r.eventIds,
        events: r.events,
        batch_id: r.batchId ?? null,
        created_at: r.createdAt,
        priority: r.priority,
        concurrency: r.concurrency,
        singleton_key: r.singletonKey ?? null,
        parent: r.parent ?? null,
        replay_of: r.replayOf ?? null,
      }),
    );
    parts.push([
      `INSERT INTO ${s}.runs (id, function_slug, status, event_ids, events, batch_id, created_at, started_at, ended_at, output, error,
         request_version, force_step_plan, pending, priority, concurrency, singleton_key, parent, replay_of, cancel_reason, defers, metadata_bytes)
       SELECT id, function_slug, status, ARRAY(SELECT jsonb_array_elements_text(event_ids)), events, batch_id, created_at, started_at, ended_at,
         output, error, request_version, force_step_plan, pending, priority, concurrency, singleton_key, parent, replay_of, cancel_reason, defers,
         coalesce(metadata_bytes, 0)
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, function_slug text, status text, event_ids jsonb, events jsonb, batch_id text,
         created_at bigint, started_at bigint, ended_at bigint, output jsonb, error jsonb, request_version integer, force_step_plan boolean,
         pending jsonb, priority integer, concurrency jsonb, singleton_key text, parent jsonb, replay_of text, cancel_reason text, defers jsonb,
         metadata_bytes integer)
       ON CONFLICT (id) DO NOTHING`,
      json(rows),
    ]);
  }
  if (b.runUpdates.size) {
    parts.push([
      `UPDATE ${s}.runs r SET status = x.status, started_at = x.started_at, ended_at = x.ended_at, output = x.output, error = x.error,
         request_version = x.request_version, force_step_plan = x.force_step_plan, pending = x.pending, cancel_reason = x.cancel_reason,
         defers = x.defers, metadata_bytes = x.metadata_bytes
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, status text, started_at bigint, ended_at bigint, output jsonb, error jsonb,
         request_version integer, force_step_plan boolean, pending jsonb, cancel_reason text, defers jsonb, metadata_bytes integer)
       WHERE r.id = x.id`,
      json([...b.runUpdates.values()].map(runMutable)),
    ]);
  }
  return parts;
}

function memoParts(s: string, b: Batch): Part[] {
  if (!b.memos.size) return [];
  return [
    [
      `INSERT INTO ${s}.memos (run_id, hash, seq, memo)
       SELECT run_id, hash, seq, memo FROM jsonb_to_recordset($1::jsonb) AS x(run_id text, hash text, seq integer, memo jsonb)
       ON CONFLICT (run_id, hash) DO NOTHING`,
      json([...b.memos.values()].map((m) => ({ run_id: m.runId, hash: m.hash, seq: m.seq, memo: m.memo }))),
    ],
  ];
}

const itemParts = (s: string, b: Batch): Part[] =>
  upsertAndDelete(s, b.items, "queue", itemRow, "id text, run_id text, kind text, step_id text, attempt integer, at bigint, data jsonb", [
    "run_id",
    "kind",
    "step_id",
    "attempt",
    "at",
    "data",
  ]);

const pauseParts = (s: string, b: Batch): Part[] =>
  upsertAndDelete(
    s,
    b.pauses,
    "pauses",
    (p: Pause) => ({
      id: p.id,
      run_id: p.runId,
      kind: p.kind,
      event: p.event ?? null,
      expr: p.expr ?? null,
      expires_at: p.expiresAt,
      step_hash: p.stepHash ?? null,
      data: p.data,
    }),
    "id text, run_id text, kind text, event text, expr text, expires_at bigint, step_hash text, data jsonb",
    ["expires_at", "data"],
  );

function historyParts(s: string, b: Batch): Part[] {
  if (!b.history.size) return [];
  const rows = [...b.history.values()].map((h) => ({
    id: h.id,
    run_id: h.runId,
    kind: h.kind,
    step_hash: h.stepHash ?? null,
    step_name: h.stepName ?? null,
    attempt: h.attempt,
    status: h.status,
    started_at: h.startedAt,
    ended_at: h.endedAt ?? null,
    output: h.output === undefined ? null : h.output,
    error: h.error === undefined ? null : h.error,
    detail: h.detail ?? null,
  }));
  return [
    [
      `INSERT INTO ${s}.history (id, run_id, kind, step_hash, step_name, attempt, status, started_at, ended_at, output, error, detail)
       SELECT id, run_id, kind, step_hash, step_name, attempt, status, started_at, ended_at, output, error, detail
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, run_id text, kind text, step_hash text, step_name text, attempt integer,
         status text, started_at bigint, ended_at bigint, output jsonb, error jsonb, detail jsonb)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, ended_at = EXCLUDED.ended_at, output = EXCLUDED.output,
         error = EXCLUDED.error, detail = COALESCE(EXCLUDED.detail, history.detail)`,
      json(rows),
    ],
  ];
}

function stateParts(s: string, b: Batch): Part[] {
  const parts: Part[] = [];
  const puts: StateRow[] = [];
  const dels: Array<{ kind: string; key: string }> = [];
  for (const row of b.state.values()) ("deleted" in row ? dels : puts).push(row as StateRow);
  if (dels.length) {
    parts.push([
      `DELETE FROM ${s}.state t USING jsonb_to_recordset($1::jsonb) AS x(kind text, key text) WHERE t.kind = x.kind AND t.key = x.key`,
      json(dels.map((d) => ({ kind: d.kind, key: d.key }))),
    ]);
  }
  if (puts.length) {
    parts.push([
      `INSERT INTO ${s}.state (kind, key, value, expires_at)
       SELECT kind, key, value, expires_at FROM jsonb_to_recordset($1::jsonb) AS x(kind text, key text, value jsonb, expires_at bigint)
       ON CONFLICT (kind, key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
      json(puts.map((p) => ({ kind: p.kind, key: p.key, value: p.value, expires_at: p.expiresAt ?? null }))),
    ]);
  }
  return parts;
}

/** Each table's part of a flush, in the order they are written. */
const PARTS = [eventParts, runParts, memoParts, itemParts, pauseParts, historyParts, stateParts];

export function buildBatchSql(s: string, b: Batch): { text: string; values: unknown[] } | undefined {
  if (b.size === 0) return undefined;
  const parts = PARTS.flatMap((build) => build(s, b));
  // One statement, one round trip: every write of the batch is a data-modifying CTE, which PostgreSQL runs
  // atomically in the statement's implicit transaction. Rows are coalesced by key above, so no two parts touch
  // the same row (they would not see each other's effects).
  if (!parts.length) return undefined;
  const ctes = parts.map(([sql], i) => `w${i} AS (${sql.replace(/\$1\b/g, `$${i + 1}`)})`);
  return { text: `WITH ${ctes.join(",\n")} SELECT 1`, values: parts.map(([, param]) => param) };
}

function upsertAndDelete<T>(
  s: string,
  rows: Map<string, T | null>,
  table: string,
  toRow: (v: T) => Record<string, unknown>,
  columns: string,
  updatable: string[],
): Part[] {
  const parts: Part[] = [];
  const puts: Record<string, unknown>[] = [];
  const dels: string[] = [];
  for (const [id, v] of rows) {
    if (v === null) dels.push(id);
    else puts.push(toRow(v));
  }
  if (dels.length) parts.push([`DELETE FROM ${s}.${table} WHERE id = ANY($1::text[])`, dels]);
  if (puts.length) {
    const names = columns.split(",").map((c) => c.trim().split(" ")[0]);
    parts.push([
      `INSERT INTO ${s}.${table} (${names.join(", ")}) SELECT ${names.join(", ")} FROM jsonb_to_recordset($1::jsonb) AS x(${columns})
       ON CONFLICT (id) DO UPDATE SET ${updatable.map((c) => `${c} = EXCLUDED.${c}`).join(", ")}`,
      json(puts),
    ]);
  }
  return parts;
}
