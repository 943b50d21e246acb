import type { Pool } from "pg";
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { EventRecord, HistoryRow, Pause, QueueItem, RunState, StateRow } from "../types.js";
import { addsOnlyItsOwnRows, type Batch, buildBatchSql, emptyBatch, mergeBatch } from "./batch.js";
import { quoteIdent } from "./migrate.js";

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
    private readonly clock: Clock,
    /** Told about each row the database refused; the engine fails that row's run with the reason. */
    private readonly onRefused: (r: Refusal) => void = () => {},
    /** Told how long each flush that committed took (ms), for the metrics. */
    private readonly onFlushed: (ms: number) => void = () => {},
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

  /** Callers waiting for the pending batch to be taken for flushing (see `roomForEvents`). */
  private turnover: Array<() => void> = [];
  /** Events admitted by `roomForEvents` into the batch being gathered (they are written just after admission). */
  private admittedEvents = 0;

  /**
   * Waits until `count` more events fit in the batch being gathered: one that already holds events takes no more than
   * `max` in all, so a sender's burst is written as several bounded flushes rather than one long one, and a single
   * event of another tenant arriving meanwhile joins a batch of at most `max` events instead of waiting behind the
   * whole burst (its run starts after that flush). A batch with no events admits any count, and a sender waits only
   * while a flush runs (whose end lets it in), so nothing waits forever.
   */
  async roomForEvents(count: number, max: number): Promise<void> {
    // Counted when admitted, not when written: every waiter wakes at a turnover, and each must see the others' share.
    while (!this.closed && this.flushing && this.admittedEvents > 0 && this.admittedEvents + count > max) {
      await new Promise<void>((resolve) => this.turnover.push(resolve));
    }
    this.admittedEvents += count;
  }

  /**
   * Counts a sender's lone event into the batch being gathered, without waiting: a bulk send that would then take the
   * batch past `max` waits for the next one instead, so the lone event's flush is not a burst's (its run starts after
   * that flush). A bulk send already gathered still shares its batch with whatever arrives after it.
   */
  admitEvent(): void {
    this.admittedEvents++;
  }

  /** A lone event's rows being written beside the flush under way (one at a time); later flushes wait for it. */
  private beside: Promise<void> | undefined;

  /**
   * Commits what `write` journals (synchronously) for one lone event, beside the flush under way when it can: in a
   * transaction of its own, on another connection. Otherwise a lone event arriving during a long flush of another
   * tenant's work waited for the rest of that flush, then for its own (p50 7, p95 34 ms in `bench:tenants`).
   *
   * Only rows of its own may go beside (addsOnlyItsOwnRows: its event, the runs it starts, their queue items, memos,
   * pauses, history, its dedup and idempotency marks): the flush under way was gathered before they existed, so the two cannot touch the same row, and
   * every flush taken later waits for this one, so a later change of these rows never reaches the database first.
   * Anything else (a wait it resumes, a run it cancels, flow-control state) joins the batch being gathered, as does
   * everything when no flush runs or one lone event is already being written beside.
   */
  commitBeside(write: () => void): Promise<void> {
    if (!this.flushing || this.beside || this.closed) {
      this.admitEvent();
      write();
      return this.commit();
    }
    const gathering = this.batch;
    this.batch = emptyBatch();
    try {
      write();
    } catch (err) {
      mergeBatch(gathering, this.batch);
      this.batch = gathering;
      throw err;
    }
    const own = this.batch;
    this.batch = gathering;
    // Nothing written (an SDK's retried send): its first write may still be in the flush under way, so wait for that.
    if (own.size === 0 || !addsOnlyItsOwnRows(own)) {
      this.admitEvent();
      mergeBatch(gathering, own);
      return this.commit();
    }
    const committed = new Promise<void>((resolve, reject) => own.waiters.push({ resolve, reject }));
    this.beside = this.write(own)
      .catch((err: Error) => {
        for (const w of own.waiters) w.reject(err);
      })
      .finally(() => {
        this.beside = undefined;
      });
    return committed;
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
    for (const wake of this.turnover.splice(0)) wake();
    while (this.flushing || this.beside) await new Promise((r) => setTimeout(r, 5));
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.batch.waiters.length > 0 || this.batch.size > 0) {
        // A lone event's rows written beside the last flush go first: this batch may change them.
        if (this.beside) await this.beside;
        const b = this.batch;
        this.batch = emptyBatch();
        this.admittedEvents = 0;
        for (const wake of this.turnover.splice(0)) wake();
        await this.write(b);
      }
    } finally {
      this.flushing = false;
      // Nothing left to flush: whatever was admitted was written (or its sender gave up), so the next may come in.
      this.admittedEvents = 0;
      for (const wake of this.turnover.splice(0)) wake();
    }
  }

  /** Writes one batch in one transaction, retrying while the database is away; then its waiters hear of it. */
  private async write(b: Batch): Promise<void> {
    // Serialized now, once: the rows describe the state as of this batch. A retry must send the same rows,
    // not the newer in-memory state whose companion rows are still in a later, uncommitted batch.
    const query = buildBatchSql(this.s, b);
    let delay = 50;
    for (;;) {
      try {
        // A duration on the monotonic timer, for the stats only: sub-millisecond, and no test clock moves it.
        const started = performance.now();
        if (query) await this.pool.query(query.text, query.values);
        this.stats.flushes++;
        this.stats.rows += b.size;
        this.stats.lastFlushMs = performance.now() - started;
        this.onFlushed(this.stats.lastFlushMs);
        this.stats.failingSince = null;
        for (const w of b.waiters) w.resolve();
        return;
      } catch (err) {
        this.stats.failures++;
        if (isDataError(err)) {
          // Retrying the same rows would fail forever and hold every later commit behind this one: write the
          // rows one by one instead, and hand each refused row to the engine (its run fails with the reason).
          this.log.error({ err, rows: b.size }, "the database refused a journal batch; writing its rows one by one");
          await this.isolate(b);
          for (const w of b.waiters) w.resolve();
          return;
        }
        this.stats.failingSince ??= this.clock.now();
        if (this.closed) {
          for (const w of b.waiters) w.reject(err as Error);
          return;
        }
        // The database is unreachable or refused the batch: nothing was acknowledged, so keep the
        // batch and try again; writes are idempotent (upserts and ON CONFLICT DO NOTHING).
        this.log.error({ err, rows: b.size }, "journal flush failed; retrying");
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2000);
      }
    }
  }

  /** Writes each row of `b` on its own, retrying connection failures; rows the database refuses are reported. */
  private async isolate(b: Batch): Promise<void> {
    for (const one of this.singles(b)) {
      const query = buildBatchSql(this.s, one.batch);
      if (!query) continue;
      for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
        try {
          await this.pool.query(query.text, query.values);
          break;
        } catch (err) {
          if (isDataError(err)) {
            const refusal: Refusal = {
              table: one.table,
              key: one.key,
              runId: one.runId,
              message: (err as Error).message,
              at: this.clock.now(),
            };
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
}
