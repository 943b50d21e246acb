import type pg from "pg";
import type { Clock } from "../clock.js";
import type { Scheduler } from "../sched/scheduler.js";
import { ENDED, type RunState } from "../types.js";

/** A run that ended is remembered this long, so work committed concurrently for it is dropped rather than armed. */
const ENDED_MEMORY_MS = 5 * 60_000;

/**
 * The states of runs with work in progress, in memory. Idle runs (sleeping, waiting) are dropped and read again
 * from the database when needed, which keeps memory flat with many sleeping runs.
 */
export class RunCache {
  private readonly runs = new Map<string, RunState>();
  private readonly loading = new Map<string, Promise<RunState | undefined>>();
  private readonly active = new Map<string, number>();
  private readonly ended = new Map<string, number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly s: string,
    private readonly scheduler: Scheduler,
    private readonly evictBacklogAbove: number,
    private readonly clock: Clock,
  ) {}

  get size(): number {
    return this.runs.size;
  }

  get(id: string): RunState | undefined {
    return this.runs.get(id);
  }

  set(run: RunState): void {
    this.runs.set(run.id, run);
  }

  delete(id: string): void {
    this.runs.delete(id);
  }

  /** The run's state from memory or the database; undefined if it does not exist. */
  async load(id: string): Promise<RunState | undefined> {
    const cached = this.runs.get(id);
    if (cached) return cached;
    let p = this.loading.get(id);
    if (!p) {
      p = this.read(id).finally(() => this.loading.delete(id));
      this.loading.set(id, p);
    }
    return p;
  }

  private async read(id: string): Promise<RunState | undefined> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.s}.runs WHERE id = $1`, [id]);
    const r = rows[0];
    if (!r) return undefined;
    const memoRows = await this.pool.query(`SELECT hash, memo FROM ${this.s}.memos WHERE run_id = $1 ORDER BY seq`, [id]);
    const again = this.runs.get(id);
    if (again) return again;
    const run = runFromRow(r, memoRows.rows);
    if (!ENDED.has(run.status)) this.runs.set(id, run);
    return run;
  }

  beginDispatch(runId: string): void {
    this.active.set(runId, (this.active.get(runId) ?? 0) + 1);
  }

  endDispatch(runId: string): void {
    const n = (this.active.get(runId) ?? 1) - 1;
    if (n <= 0) this.active.delete(runId);
    else this.active.set(runId, n);
    this.maybeEvict(runId);
  }

  /** Keeps memory flat with many sleeping or waiting runs: a run with nothing due soon is reloaded when needed. */
  maybeEvict(runId: string, evenIfDue = false): void {
    if (this.active.has(runId)) return;
    const run = this.runs.get(runId);
    // An ended run stays until its end's own commit completes (the after-commit callback drops it).
    if (!run || ENDED.has(run.status)) return;
    if (!evenIfDue) {
      const soon = this.clock.now() + 2000;
      // An in-flight item belongs to a dispatch that is finishing (counted in `active` while it runs).
      const dueSoon = this.scheduler.itemsOf(runId).some((i) => i.at <= soon && this.scheduler.whereIs(i)?.place !== "inflight");
      if (dueSoon) return;
    }
    this.runs.delete(runId);
  }

  /** Behind a long backlog a new run will not start soon: its state waits in the database, not in memory. */
  evictIfBacklogged(runId: string): void {
    const waiting = this.scheduler.counts;
    if (waiting.ready + waiting.blocked + waiting.parked > this.evictBacklogAbove) this.maybeEvict(runId, true);
  }

  markEnded(runId: string): void {
    this.ended.set(runId, this.clock.now());
  }

  endedRecently(runId: string): boolean {
    return this.ended.has(runId);
  }

  sweep(now: number): void {
    for (const [k, t] of this.ended) if (t < now - ENDED_MEMORY_MS) this.ended.delete(k);
  }
}

/** A row of the runs table as pg returns it (bigint columns arrive as strings). */
export interface RunRow {
  id: string;
  function_slug: string;
  status: RunState["status"];
  event_ids: string[];
  events: RunState["events"];
  batch_id: string | null;
  created_at: string | number;
  started_at: string | number | null;
  ended_at: string | number | null;
  output: unknown;
  error: unknown;
  request_version: number;
  force_step_plan: boolean;
  pending: string[];
  priority: number;
  concurrency: RunState["concurrency"];
  singleton_key: string | null;
  parent: RunState["parent"] | null;
  replay_of: string | null;
  cancel_reason: string | null;
  defers?: RunState["defers"] | null;
  metadata_bytes?: number | null;
}

/** A runs row (and its memos, in stack order) as the run's state. */
export function runFromRow(r: RunRow, memos: Array<{ hash: string; memo: unknown }>): RunState {
  return {
    id: r.id,
    fnSlug: r.function_slug,
    status: r.status,
    eventIds: r.event_ids,
    events: r.events,
    batchId: r.batch_id ?? undefined,
    createdAt: Number(r.created_at),
    startedAt: r.started_at == null ? undefined : Number(r.started_at),
    endedAt: r.ended_at == null ? undefined : Number(r.ended_at),
    output: r.output ?? undefined,
    error: r.error ?? undefined,
    requestVersion: r.request_version,
    forceStepPlan: r.force_step_plan,
    pending: new Set(r.pending),
    memos: new Map(memos.map((m) => [m.hash, m.memo])),
    stack: memos.map((m) => m.hash),
    priority: r.priority,
    concurrency: r.concurrency,
    singletonKey: r.singleton_key ?? undefined,
    parent: r.parent ?? undefined,
    replayOf: r.replay_of ?? undefined,
    cancelReason: r.cancel_reason ?? undefined,
    defers: r.defers ?? undefined,
    metadataBytes: r.metadata_bytes ?? 0,
  };
}
