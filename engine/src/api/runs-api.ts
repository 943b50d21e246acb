import type { EngineContext } from "../context.js";
import { BadRequestError, ConflictError, NotFoundError } from "../errors.js";
import type { RunLifecycle } from "../runs/lifecycle.js";
import { foldMetadata } from "../runs/metadata.js";
import { priorSteps } from "../runs/rerun.js";
import { selectHistory } from "../store/history-sql.js";
import {
  type SummaryRow,
  selectReplayOf,
  selectRun,
  selectRunEvents,
  selectRunIds,
  selectRunsEvents,
  selectRunsPage,
} from "../store/runs-sql.js";
import { selectRunSpans } from "../store/spans-sql.js";
import { ACTIVE_STATUSES, ENDED, type EventRecord, type QueueItem, type RunStatus, type WireEvent } from "../types.js";
import { Unit } from "../unit.js";
import { isUlid } from "../util/ulid.js";
import { inngestEnvelope } from "./envelope.js";
import { explainWaiting } from "./explain.js";
import { predictStart } from "./predict.js";
import { iso, type RunFilter, STATUS_LABEL } from "./run-filter.js";
import { spanViews } from "./span-view.js";

const MAX_BULK = 10_000;

/** Runs for the `/v1` API: list, one run with its trace, cancel and replay (one or many). */
export class RunsApi {
  constructor(
    private readonly ctx: EngineContext,
    private readonly lifecycle: RunLifecycle,
  ) {}

  summary(row: SummaryRow) {
    // A run's start is journaled with its first result, so while that request runs memory is newer than the row.
    const live = this.ctx.runs.get(row.id as string);
    const r =
      live?.status === "running" && row.status === "queued" ? { ...row, status: live.status, started_at: live.startedAt ?? null } : row;
    return {
      run_id: r.id,
      function_id: r.function_slug,
      status: STATUS_LABEL[r.status as RunStatus],
      event_id: (r.event_ids as string[])[0] ?? null,
      event_ids: r.event_ids,
      event_name: (r.events as WireEvent[] | undefined)?.[0]?.name ?? null,
      created_at: iso(r.created_at),
      run_started_at: iso(r.started_at),
      ended_at: iso(r.ended_at),
      output: r.output ?? null,
      error: r.error ?? null,
      batch_id: r.batch_id ?? null,
      replay_of: r.replay_of ?? null,
      cancel_reason: r.cancel_reason ?? null,
      priority: r.priority,
      /** The run whose `step.invoke` started this one. */
      parent_run_id: (r.parent as { runId?: string } | null)?.runId ?? null,
    };
  }

  private waiting(row: { id: string; status: RunStatus; function_slug: string }) {
    return ENDED.has(row.status) ? null : explainWaiting(this.ctx, row.id, row.function_slug);
  }

  async list(f: RunFilter) {
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 500);
    const rows = await selectRunsPage(this.ctx.pool, this.ctx.s, f, limit);
    const page = rows.slice(0, limit);
    return {
      data: page.map((r) => ({ ...this.summary(r), waiting: this.waiting(r) })),
      cursor: rows.length > limit ? (page[page.length - 1]?.id as string) : null,
    };
  }

  async get(id: string) {
    const { pool, s } = this.ctx;
    const r = await selectRun(pool, s, id);
    if (!r) throw new NotFoundError(`run ${id} not found`);
    const [all, spans] = await Promise.all([selectHistory(pool, s, id), selectRunSpans(pool, s, id)]);
    const hist = all.filter((h) => h.kind !== "metadata");
    const metadata = foldMetadata(
      all
        .filter((h) => h.kind === "metadata")
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((h) => ({ stepHash: h.step_hash ?? undefined, attempt: h.attempt, detail: h.detail, endedAt: h.ended_at })),
    );
    const steps = hist.map((h) => ({
      id: h.id,
      kind: h.kind,
      step_id: h.step_hash,
      name: h.step_name,
      attempt: h.attempt,
      status: h.status,
      started_at: iso(h.started_at),
      ended_at: iso(h.ended_at),
      duration_ms: h.ended_at == null ? null : Number(h.ended_at) - Number(h.started_at),
      output: h.output,
      error: h.error,
      detail: h.detail,
    }));
    const predicted = ENDED.has(r.status) ? undefined : predictStart(this.ctx, id, r.function_slug);
    return {
      data: {
        ...this.summary(r),
        events: r.events,
        pending: r.pending,
        steps,
        metadata,
        /** Spans the function's own code made (Extended Traces), each under its step attempt (api/span-view.ts). */
        spans: spanViews(spans),
        invoked: steps.flatMap((st) => {
          const child = (st.detail as { childRunId?: unknown } | null)?.childRunId;
          return typeof child === "string" && st.kind === "invoke" ? [{ step_id: st.step_id, name: st.name, run_id: child }] : [];
        }),
        waiting: this.waiting(r),
        predicted_start: predicted ?? null,
      },
    };
  }

  /**
   * `GET /v1/runs/:id/jobs`: the run's queued work as Inngest's queue.JobResponse list (at most 10, soonest first;
   * pkg/api/apiv1/runs.go at 253303c), cached for 5 s as Inngest says.
   */
  async jobs(id: string) {
    if (!isUlid(id)) throw new BadRequestError(`Invalid run ID: ${id.slice(0, 40)}`);
    const run = await this.ctx.runs.load(id);
    if (!run) throw new NotFoundError(`run ${id} not found`);
    const items = ENDED.has(run.status) ? [] : this.ctx.scheduler.itemsOf(id).sort((a, b) => a.at - b.at || a.seq - b.seq);
    const jobs = items.slice(0, 10).map((item, position) => ({
      JobID: item.id,
      at: new Date(item.at).toISOString(),
      position,
      kind: jobKind(item),
      attempt: item.attempt,
      Raw: null,
    }));
    return inngestEnvelope(jobs, this.ctx.clock.now(), 5000);
  }

  async cancel(id: string, reason = "cancelled via the management API") {
    const run = await this.ctx.runs.load(id);
    if (!run) throw new NotFoundError(`run ${id} not found`);
    if (ENDED.has(run.status)) throw new ConflictError(`run ${id} already ended as ${STATUS_LABEL[run.status]}`);
    const u = new Unit();
    this.lifecycle.cancelRun(u, run, reason);
    await u.commit(this.ctx.journal);
    return { run_id: id, status: "Cancelled" };
  }

  async cancelMany(f: RunFilter, reason = "bulk cancel via the management API") {
    const ids = await selectRunIds(this.ctx.pool, this.ctx.s, { ...f, statuses: [...ACTIVE_STATUSES], cursor: undefined }, MAX_BULK);
    const u = new Unit();
    let cancelled = 0;
    for (const id of ids) {
      const run = await this.ctx.runs.load(id);
      if (!run || ENDED.has(run.status)) continue;
      this.lifecycle.cancelRun(u, run, reason);
      cancelled++;
    }
    await u.commit(this.ctx.journal);
    return { cancelled };
  }

  /** Replays under way, by the run they replay: a `once` replay waits for another of the same run. */
  private readonly replaying = new Map<string, Promise<unknown>>();

  /**
   * A new run of the same function and event(s); from a step, the steps recorded before it are not run again.
   * `once`: refused (409) when the run has a replay already, so a bulk replay sent twice replays each run once.
   */
  async replay(id: string, opts: { fromStep?: string; once?: boolean } = {}) {
    if (!opts.once) return this.replayNow(id, opts);
    // One `once` replay of a run at a time in this (the only active) engine: the check and the new run are atomic.
    while (this.replaying.has(id)) await this.replaying.get(id)?.catch(() => {});
    const done = (async () => {
      const replay = await selectReplayOf(this.ctx.pool, this.ctx.s, id);
      if (replay) throw new ConflictError(`run ${id} was already replayed as run ${replay}`);
      return this.replayNow(id, opts);
    })();
    this.replaying.set(id, done);
    try {
      return await done;
    } finally {
      this.replaying.delete(id);
    }
  }

  private async replayNow(id: string, opts: { fromStep?: string }) {
    const r = await selectRunEvents(this.ctx.pool, this.ctx.s, id);
    if (!r) throw new NotFoundError(`run ${id} not found`);
    const fn = this.ctx.registry.get(r.function_slug);
    if (!fn || fn.archived) throw new ConflictError(`function ${r.function_slug} is no longer registered`);
    const prior = opts.fromStep === undefined ? undefined : await priorSteps(this.ctx, id, opts.fromStep);
    const u = new Unit();
    const run = this.lifecycle.createRun(u, fn, this.eventsOf(r), { replayOf: id, memos: prior?.memos });
    for (const row of prior?.trace(run.id) ?? []) this.ctx.journal.putHistory(row);
    await u.commit(this.ctx.journal);
    return { run_id: run.id, replay_of: id, ...(prior ? { from_step: opts.fromStep, steps_reused: prior.memos.length } : {}) };
  }

  async replayMany(f: RunFilter) {
    const rows = await selectRunsEvents(
      this.ctx.pool,
      this.ctx.s,
      { ...f, statuses: f.statuses ?? ["failed", "cancelled"], cursor: undefined },
      MAX_BULK,
    );
    const u = new Unit();
    const ids: string[] = [];
    for (const r of rows) {
      const fn = this.ctx.registry.get(r.function_slug);
      if (!fn || fn.archived) continue;
      ids.push(this.lifecycle.createRun(u, fn, this.eventsOf(r), { replayOf: r.id }).id);
    }
    await u.commit(this.ctx.journal);
    return { replayed: ids.length, run_ids: ids };
  }

  /** A stored run's events as they are replayed: the same ids and data, received now. */
  private eventsOf(r: { event_ids: string[]; events: WireEvent[] }): EventRecord[] {
    const now = this.ctx.clock.now();
    return r.events.map((w, i) => ({
      internalId: r.event_ids[i] ?? w.id,
      id: w.id,
      name: w.name,
      data: w.data,
      user: w.user,
      v: w.v,
      meta: w.meta,
      ts: now,
      receivedAt: now,
    }));
  }
}

export type RunSummary = ReturnType<RunsApi["summary"]>;

/** Inngest's queue item kinds (queue.KindStart, KindEdge, KindSleep, KindPause, KindCancel) for this engine's items. */
function jobKind(item: QueueItem): string {
  if (item.kind === "exec") return item.isStart ? "start" : "edge";
  if (item.kind === "gateway") return "edge";
  if (item.kind === "cancel") return "cancel";
  return item.data?.historyKind === "sleep" ? "sleep" : "pause";
}
