import { storableJson } from "@jobdeck/safe-json";
import type { Pool } from "pg";
import type { Logger } from "pino";
import type { EventRecord, HistoryRow, Pause, QueueItem, RunState, StateRow } from "../types.js";
import { quoteIdent } from "./migrate.js";

interface Batch {
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

function emptyBatch(): Batch {
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

const json = storableJson;

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
      fn: i.fnSlug,
      score: i.score,
      start: i.isStart,
      cc: i.concurrency,
      tk: i.throttleKey,
      d: i.data,
      w: i.wait,
    },
  };
}

/** PostgreSQL refused the data itself (SQLSTATE class 22 data exception, 23 constraint, 54 limit), not the connection. */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && /^(22|23|54)/.test(code);
}

/** A row the database refused, and the run it belonged to (if any). */
export interface Refusal {
  table: string;
  key: string;
  runId?: string;
  message: string;
  at: number;
}

/** One row of a batch on its own, for finding the row the database refuses. */
interface Single {
  table: string;
  key: string;
  runId?: string;
  batch: Batch;
}

/**
 * Group commit: every state change is written here, and callers await `commit()` before they act on it
 * (acknowledge an event, send the next request). Writes made while a flush is running go into the next
 * batch, so under load many runs share one transaction, and with no load a write is flushed at once.
 * Rows are coalesced by primary key, so a batch holds each row's final state.
 */
export class Journal {
  private batch = emptyBatch();
  private flushing = false;
  private closed = false;
  private readonly s: string;
  /** Flushes done and rows written, for the benchmark and /health. */
  stats = {
    flushes: 0,
    rows: 0,
    lastFlushMs: 0,
    failures: 0,
    /** Since when flushes keep failing (the database is away): health is degraded meanwhile. */
    failingSince: null as number | null,
    refusedRows: 0,
    lastRefusal: null as Refusal | null,
  };

  constructor(
    private readonly pool: Pool,
    schema: string,
    private readonly log: Logger,
    /** Told about each row the database refused; the engine fails that row's run with the reason. */
    private readonly onRefused: (r: Refusal) => void = () => {},
  ) {
    this.s = quoteIdent(schema);
  }

  insertEvent(e: EventRecord): void {
    this.batch.events.push(e);
    this.batch.size++;
  }
  insertRun(r: RunState): void {
    this.batch.runInserts.set(r.id, r);
    this.batch.size++;
  }
  saveRun(r: RunState): void {
    if (!this.batch.runInserts.has(r.id)) this.batch.runUpdates.set(r.id, r);
    this.batch.size++;
  }
  putMemo(runId: string, hash: string, seq: number, memo: unknown): void {
    this.batch.memos.set(`${runId}/${hash}`, { runId, hash, seq, memo });
    this.batch.size++;
  }
  putItem(i: QueueItem): void {
    this.batch.items.set(i.id, i);
    this.batch.size++;
  }
  deleteItem(id: string): void {
    this.batch.items.set(id, null);
    this.batch.size++;
  }
  putPause(p: Pause): void {
    this.batch.pauses.set(p.id, p);
    this.batch.size++;
  }
  deletePause(id: string): void {
    this.batch.pauses.set(id, null);
    this.batch.size++;
  }
  putHistory(h: HistoryRow): void {
    this.batch.history.set(h.id, h);
    this.batch.size++;
  }
  putState(row: StateRow): void {
    this.batch.state.set(`${row.kind}\u0000${row.key}`, row);
    this.batch.size++;
  }
  deleteState(kind: string, key: string): void {
    this.batch.state.set(`${kind}\u0000${key}`, { kind, key, deleted: true });
    this.batch.size++;
  }

  /** Resolves once everything written so far is durable. */
  commit(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("journal closed"));
    const p = new Promise<void>((resolve, reject) => this.batch.waiters.push({ resolve, reject }));
    if (!this.flushing) void this.flushLoop();
    return p;
  }

  /** Waits for in-progress and queued writes, then refuses new commits. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.batch.size > 0 || this.batch.waiters.length > 0) {
      // With the database gone the flush would retry forever; give up after the timeout (nothing unflushed was acknowledged).
      await Promise.race([this.commit().catch(() => {}), new Promise((r) => setTimeout(r, timeoutMs))]);
    }
    this.closed = true;
    while (this.flushing) await new Promise((r) => setTimeout(r, 5));
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.batch.waiters.length > 0 || this.batch.size > 0) {
        const b = this.batch;
        this.batch = emptyBatch();
        // Serialized now, once: the rows describe the state as of this batch. A retry must send the same rows,
        // not the newer in-memory state whose companion rows are still in a later, uncommitted batch.
        const query = this.build(b);
        let delay = 50;
        for (;;) {
          try {
            const started = performance.now();
            if (query) await this.pool.query(query.text, query.values);
            this.stats.flushes++;
            this.stats.rows += b.size;
            this.stats.lastFlushMs = performance.now() - started;
            this.stats.failingSince = null;
            for (const w of b.waiters) w.resolve();
            break;
          } catch (err) {
            this.stats.failures++;
            if (isDataError(err)) {
              // Retrying the same rows would fail forever and hold every later commit behind this one: write the
              // rows one by one instead, and hand each refused row to the engine (its run fails with the reason).
              this.log.error({ err, rows: b.size }, "the database refused a journal batch; writing its rows one by one");
              await this.isolate(b);
              for (const w of b.waiters) w.resolve();
              break;
            }
            this.stats.failingSince ??= Date.now();
            if (this.closed) {
              for (const w of b.waiters) w.reject(err as Error);
              break;
            }
            // The database is unreachable or refused the batch: nothing was acknowledged, so keep the
            // batch and try again; writes are idempotent (upserts and ON CONFLICT DO NOTHING).
            this.log.error({ err, rows: b.size }, "journal flush failed; retrying");
            await new Promise((r) => setTimeout(r, delay));
            delay = Math.min(delay * 2, 2000);
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Writes each row of `b` on its own, retrying connection failures; rows the database refuses are reported. */
  private async isolate(b: Batch): Promise<void> {
    for (const one of this.singles(b)) {
      const query = this.build(one.batch);
      if (!query) continue;
      for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
        try {
          await this.pool.query(query.text, query.values);
          break;
        } catch (err) {
          if (isDataError(err)) {
            const refusal: Refusal = { table: one.table, key: one.key, runId: one.runId, message: (err as Error).message, at: Date.now() };
            this.stats.refusedRows++;
            this.stats.lastRefusal = refusal;
            this.log.error({ err, ...refusal }, "the database refused a row; its run fails with the reason");
            this.onRefused(refusal);
            break;
          }
          if (this.closed) throw err;
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    }
  }

  /** Every row of a batch as a batch of its own. */
  private singles(b: Batch): Single[] {
    const out: Single[] = [];
    const one = (table: string, key: string, runId: string | undefined, fill: (x: Batch) => void) => {
      const batch = emptyBatch();
      fill(batch);
      batch.size = 1;
      out.push({ table, key, runId, batch });
    };
    for (const e of b.events) one("events", e.internalId, undefined, (x) => x.events.push(e));
    for (const [id, r] of b.runInserts) one("runs", id, id, (x) => x.runInserts.set(id, r));
    for (const [id, r] of b.runUpdates) one("runs", id, id, (x) => x.runUpdates.set(id, r));
    for (const [k, m] of b.memos) one("memos", k, m.runId, (x) => x.memos.set(k, m));
    for (const [id, i] of b.items) one("queue", id, i?.runId, (x) => x.items.set(id, i));
    for (const [id, p] of b.pauses) one("pauses", id, p?.runId, (x) => x.pauses.set(id, p));
    for (const [id, h] of b.history) one("history", id, h.runId, (x) => x.history.set(id, h));
    for (const [k, st] of b.state) one("state", k, undefined, (x) => x.state.set(k, st));
    return out;
  }

  private build(b: Batch): { text: string; values: unknown[] } | undefined {
    if (b.size === 0) return undefined;
    const s = this.s;
    const stmts: Array<[string, unknown[]]> = [];
    if (b.events.length) {
      stmts.push([
        `INSERT INTO ${s}.events (internal_id, id, name, data, "user", v, ts, received_at)
         SELECT internal_id, id, name, data, "user", v, ts, received_at
         FROM jsonb_to_recordset($1::jsonb) AS x(internal_id text, id text, name text, data jsonb, "user" jsonb, v text, ts bigint, received_at bigint)
         ON CONFLICT (internal_id) DO NOTHING`,
        [
          json(
            b.events.map((e) => ({
              internal_id: e.internalId,
              id: e.id,
              name: e.name,
              data: e.data,
              user: e.user ?? null,
              v: e.v ?? null,
              ts: e.ts,
              received_at: e.receivedAt,
            })),
          ),
        ],
      ]);
    }
    if (b.runInserts.size) {
      stmts.push([
        `INSERT INTO ${s}.runs (id, function_slug, status, event_ids, events, batch_id, created_at, started_at, ended_at, output, error,
           request_version, force_step_plan, pending, priority, concurrency, singleton_key, parent, replay_of, cancel_reason)
         SELECT id, function_slug, status, ARRAY(SELECT jsonb_array_elements_text(event_ids)), events, batch_id, created_at, started_at, ended_at,
           output, error, request_version, force_step_plan, pending, priority, concurrency, singleton_key, parent, replay_of, cancel_reason
         FROM jsonb_to_recordset($1::jsonb) AS x(id text, function_slug text, status text, event_ids jsonb, events jsonb, batch_id text,
           created_at bigint, started_at bigint, ended_at bigint, output jsonb, error jsonb, request_version integer, force_step_plan boolean,
           pending jsonb, priority integer, concurrency jsonb, singleton_key text, parent jsonb, replay_of text, cancel_reason text)
         ON CONFLICT (id) DO NOTHING`,
        [
          json(
            [...b.runInserts.values()].map((r) => ({
              ...runMutable(r),
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
            })),
          ),
        ],
      ]);
    }
    if (b.runUpdates.size) {
      stmts.push([
        `UPDATE ${s}.runs r SET status = x.status, started_at = x.started_at, ended_at = x.ended_at, output = x.output, error = x.error,
           request_version = x.request_version, force_step_plan = x.force_step_plan, pending = x.pending, cancel_reason = x.cancel_reason
         FROM jsonb_to_recordset($1::jsonb) AS x(id text, status text, started_at bigint, ended_at bigint, output jsonb, error jsonb,
           request_version integer, force_step_plan boolean, pending jsonb, cancel_reason text)
         WHERE r.id = x.id`,
        [json([...b.runUpdates.values()].map(runMutable))],
      ]);
    }
    if (b.memos.size) {
      stmts.push([
        `INSERT INTO ${s}.memos (run_id, hash, seq, memo)
         SELECT run_id, hash, seq, memo FROM jsonb_to_recordset($1::jsonb) AS x(run_id text, hash text, seq integer, memo jsonb)
         ON CONFLICT (run_id, hash) DO NOTHING`,
        [json([...b.memos.values()].map((m) => ({ run_id: m.runId, hash: m.hash, seq: m.seq, memo: m.memo })))],
      ]);
    }
    this.upsertAndDelete(
      stmts,
      b.items,
      "queue",
      itemRow,
      "id text, run_id text, kind text, step_id text, attempt integer, at bigint, data jsonb",
      ["run_id", "kind", "step_id", "attempt", "at", "data"],
    );
    this.upsertAndDelete(
      stmts,
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
    if (b.history.size) {
      stmts.push([
        `INSERT INTO ${s}.history (id, run_id, kind, step_hash, step_name, attempt, status, started_at, ended_at, output, error, detail)
         SELECT id, run_id, kind, step_hash, step_name, attempt, status, started_at, ended_at, output, error, detail
         FROM jsonb_to_recordset($1::jsonb) AS x(id text, run_id text, kind text, step_hash text, step_name text, attempt integer,
           status text, started_at bigint, ended_at bigint, output jsonb, error jsonb, detail jsonb)
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, ended_at = EXCLUDED.ended_at, output = EXCLUDED.output,
           error = EXCLUDED.error, detail = COALESCE(EXCLUDED.detail, history.detail)`,
        [
          json(
            [...b.history.values()].map((h) => ({
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
            })),
          ),
        ],
      ]);
    }
    if (b.state.size) {
      const puts: StateRow[] = [];
      const dels: Array<{ kind: string; key: string }> = [];
      for (const row of b.state.values()) ("deleted" in row ? dels : puts).push(row as StateRow);
      if (dels.length)
        stmts.push([
          `DELETE FROM ${s}.state t USING jsonb_to_recordset($1::jsonb) AS x(kind text, key text) WHERE t.kind = x.kind AND t.key = x.key`,
          [json(dels.map((d) => ({ kind: d.kind, key: d.key })))],
        ]);
      if (puts.length)
        stmts.push([
          `INSERT INTO ${s}.state (kind, key, value, expires_at)
           SELECT kind, key, value, expires_at FROM jsonb_to_recordset($1::jsonb) AS x(kind text, key text, value jsonb, expires_at bigint)
           ON CONFLICT (kind, key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
          [json(puts.map((p) => ({ kind: p.kind, key: p.key, value: p.value, expires_at: p.expiresAt ?? null })))],
        ]);
    }
    // One statement, one round trip: every write of the batch is a data-modifying CTE, which PostgreSQL runs
    // atomically in the statement's implicit transaction. Rows are coalesced by key above, so no two parts touch
    // the same row (they would not see each other's effects).
    if (!stmts.length) return undefined;
    const parts = stmts.map(([sql], i) => `w${i} AS (${sql.replace(/\$1\b/g, `$${i + 1}`)})`);
    return { text: `WITH ${parts.join(",\n")} SELECT 1`, values: stmts.map(([, params]) => params[0]) };
  }

  private upsertAndDelete<T>(
    stmts: Array<[string, unknown[]]>,
    rows: Map<string, T | null>,
    table: string,
    toRow: (v: T) => Record<string, unknown>,
    columns: string,
    updatable: string[],
  ): void {
    if (!rows.size) return;
    const puts: Record<string, unknown>[] = [];
    const dels: string[] = [];
    for (const [id, v] of rows) {
      if (v === null) dels.push(id);
      else puts.push(toRow(v));
    }
    const s = this.s;
    if (dels.length) stmts.push([`DELETE FROM ${s}.${table} WHERE id = ANY($1::text[])`, [dels]]);
    if (puts.length) {
      const names = columns.split(",").map((c) => c.trim().split(" ")[0]);
      stmts.push([
        `INSERT INTO ${s}.${table} (${names.join(", ")}) SELECT ${names.join(", ")} FROM jsonb_to_recordset($1::jsonb) AS x(${columns})
         ON CONFLICT (id) DO UPDATE SET ${updatable.map((c) => `${c} = EXCLUDED.${c}`).join(", ")}`,
        [json(puts)],
      ]);
    }
  }
}
