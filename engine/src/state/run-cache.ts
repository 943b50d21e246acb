import type pg from "pg";
import type { Clock } from "../clock.js";
import { type Scheduler, tenantOf } from "../sched/scheduler.js";
import { selectMemos } from "../store/memos-sql.js";
import { runFromRow } from "../store/run-row.js";
import { selectRun } from "../store/runs-sql.js";
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
    const r = await selectRun(this.pool, this.s, id);
    if (!r) return undefined;
    const memos = await selectMemos(this.pool, this.s, id);
    const again = this.runs.get(id);
    if (again) return again;
    const run = runFromRow(r, memos);
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

  /**
   * Behind a long backlog of its own tenant a new run will not start soon: its state waits in the database, not in
   * memory. Only its own tenant's: the queue is fair across tenants, so a run behind another tenant's backlog starts at
   * one of the next free slots, and reading it back then would add a database round trip to its start (5–14 ms on a
   * loaded machine). Memory stays bounded by the threshold per tenant with work queued.
   */
  evictIfBacklogged(run: RunState): void {
    if (this.scheduler.backlogOf(tenantOf(run)) > this.evictBacklogAbove) this.maybeEvict(run.id, true);
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
