import { type Core, Unit } from "../core.js";
import type { Ingest } from "../events/ingest.js";
import { ENDED, type EventRecord, type RunState, type RunStatus, type WireEvent } from "../types.js";
import { formatDuration } from "../util/duration.js";

export class NotFoundError extends Error {}
export class ConflictError extends Error {}

export const STATUS_LABEL: Record<RunStatus, string> = {
  queued: "Queued",
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};
const LABEL_TO_STATUS = new Map(Object.entries(STATUS_LABEL).map(([k, v]) => [v.toLowerCase(), k as RunStatus]));

export function parseStatuses(input: string | undefined): RunStatus[] | undefined {
  if (!input) return undefined;
  const out: RunStatus[] = [];
  for (const part of input
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)) {
    const st = LABEL_TO_STATUS.get(part);
    if (!st) throw new RangeError(`status: unknown value "${part}" (use queued, running, completed, failed or cancelled)`);
    out.push(st);
  }
  return out;
}

export interface RunFilter {
  functionSlug?: string;
  statuses?: RunStatus[];
  from?: number;
  to?: number;
  cursor?: string;
  limit?: number;
  ids?: string[];
}

/** An ISO date for a stored time; null for none (or a value no date can show, rather than failing the whole list). */
const iso = (ms: unknown) => {
  if (ms == null) return null;
  const d = new Date(Number(ms));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};

/** Read and operate on runs, functions, events and apps for the console (the `/v1` API). */
export class Management {
  constructor(
    private readonly core: Core,
    private readonly ingest: Ingest,
  ) {}

  private where(f: RunFilter, params: unknown[]): string {
    const conds: string[] = [];
    if (f.functionSlug) conds.push(`function_slug = $${params.push(f.functionSlug)}`);
    if (f.statuses?.length) conds.push(`status = ANY($${params.push(f.statuses)}::text[])`);
    if (f.from !== undefined) conds.push(`created_at >= $${params.push(f.from)}`);
    if (f.to !== undefined) conds.push(`created_at <= $${params.push(f.to)}`);
    if (f.cursor) conds.push(`id < $${params.push(f.cursor)}`);
    if (f.ids?.length) conds.push(`id = ANY($${params.push(f.ids)}::text[])`);
    return conds.length ? `WHERE ${conds.join(" AND ")}` : "";
  }

  private runSummary(row: Record<string, unknown>) {
    // A run's start is journaled with its first result, so while that request runs memory is newer than the row.
    const live = this.core.runs.get(row.id as string);
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
    };
  }

  async listRuns(f: RunFilter) {
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 500);
    const params: unknown[] = [];
    const where = this.where(f, params);
    const { rows } = await this.core.pool.query(
      `SELECT id, function_slug, status, event_ids, events, batch_id, created_at, started_at, ended_at, output, error, replay_of, cancel_reason, priority
       FROM ${this.core.s}.runs ${where} ORDER BY id DESC LIMIT ${limit + 1}`,
      params,
    );
    const page = rows.slice(0, limit);
    const data = page.map((r) => ({ ...this.runSummary(r), waiting: ENDED.has(r.status) ? null : this.explain(r.id, r.function_slug) }));
    return { data, cursor: rows.length > limit ? (page[page.length - 1]?.id as string) : null };
  }

  async getRun(id: string) {
    const s = this.core.s;
    const { rows } = await this.core.pool.query(`SELECT * FROM ${s}.runs WHERE id = $1`, [id]);
    const r = rows[0];
    if (!r) throw new NotFoundError(`run ${id} not found`);
    const { rows: hist } = await this.core.pool.query(`SELECT * FROM ${s}.history WHERE run_id = $1 ORDER BY started_at, id`, [id]);
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
    return {
      data: {
        ...this.runSummary(r),
        events: r.events,
        pending: r.pending,
        steps,
        waiting: ENDED.has(r.status) ? null : this.explain(id, r.function_slug),
      },
    };
  }

  /** "Why is it waiting": where each of the run's queue items and pauses stands right now. */
  explain(runId: string, fnSlug: string): { reason: string; reasons: string[] } | null {
    const c = this.core;
    const reasons: string[] = [];
    const at = (ms: number) => `${iso(ms) ?? "an unknown time"} (in ${formatDuration(Math.max(ms - Date.now(), 0))})`;
    const fn = c.registry.get(fnSlug);
    for (const item of c.scheduler.itemsOf(runId)) {
      const where = c.scheduler.whereIs(item);
      const what =
        item.stepId === "step" ? (item.isStart ? "first request" : "next request") : `step ${String(item.data?.name ?? item.stepId)}`;
      if (!where) continue;
      if (where.place === "inflight") reasons.push(`running: ${what}`);
      else if (where.place === "paused")
        reasons.push(
          fn?.paused || !fn ? `function ${fnSlug} is paused` : (c.availability.reason(fn.appId) ?? `function ${fnSlug} is held`),
        );
      else if (where.place === "blocked") {
        const cc = item.concurrency.find((k) => k.key === where.key);
        reasons.push(`concurrency ${cc?.label ?? where.key} full ${c.scheduler.inFlightFor(where.key ?? "")}/${cc?.limit ?? "?"}`);
      } else if (where.place === "timer") {
        if (item.kind === "resume") reasons.push(`sleeping until ${at(item.at)}`);
        else if (item.wait?.reason === "retry")
          reasons.push(`retry ${item.attempt} of ${(item.wait.maxAttempts ?? fn?.maxAttempts ?? 5) - 1} at ${at(item.at)}`);
        else if (item.wait?.reason === "throttle") reasons.push(`throttled until ${at(item.at)}`);
        else reasons.push(`scheduled: ${what} at ${at(item.at)}`);
      } else if (where.place === "ready") reasons.push(`queued: ${what} waits for a free slot (${c.opts.maxInFlight} requests in flight)`);
    }
    for (const p of c.pauses.ofRun(runId)) {
      if (p.kind === "wait") reasons.push(`waiting for event ${p.event}${p.expr ? ` matching ${p.expr}` : ""} until ${at(p.expiresAt)}`);
      else if (p.kind === "invoke") reasons.push(`waiting for invoked function ${p.data.target} until ${at(p.expiresAt)}`);
    }
    if (!reasons.length) return null;
    return { reason: reasons[0] as string, reasons };
  }

  async cancelRun(id: string, reason = "cancelled via the management API") {
    const c = this.core;
    const run = await c.loadRun(id);
    if (!run) throw new NotFoundError(`run ${id} not found`);
    if (ENDED.has(run.status)) throw new ConflictError(`run ${id} already ended as ${STATUS_LABEL[run.status]}`);
    const u = new Unit();
    c.cancelRun(u, run, reason);
    await c.commit(u);
    return { run_id: id, status: "Cancelled" };
  }

  async cancelMany(f: RunFilter, reason = "bulk cancel via the management API") {
    const c = this.core;
    const params: unknown[] = [];
    const where = this.where({ ...f, statuses: ["queued", "running"], cursor: undefined }, params);
    const { rows } = await c.pool.query(`SELECT id FROM ${c.s}.runs ${where} ORDER BY id LIMIT 10000`, params);
    const u = new Unit();
    let cancelled = 0;
    for (const r of rows) {
      const run = await c.loadRun(r.id);
      if (!run || ENDED.has(run.status)) continue;
      c.cancelRun(u, run, reason);
      cancelled++;
    }
    await c.commit(u);
    return { cancelled };
  }

  private eventsOf(run: Pick<RunState, "eventIds" | "events">): EventRecord[] {
    return run.events.map((w, i) => ({
      internalId: run.eventIds[i] ?? w.id,
      id: w.id,
      name: w.name,
      data: w.data,
      user: w.user,
      v: w.v,
      ts: w.ts,
      receivedAt: w.ts,
    }));
  }

  /** Re-runs a run from its triggering event(s) as a new run of the same function. */
  async replayRun(id: string) {
    const c = this.core;
    const { rows } = await c.pool.query(`SELECT id, function_slug, event_ids, events FROM ${c.s}.runs WHERE id = $1`, [id]);
    const r = rows[0];
    if (!r) throw new NotFoundError(`run ${id} not found`);
    const fn = c.registry.get(r.function_slug);
    if (!fn || fn.archived) throw new ConflictError(`function ${r.function_slug} is no longer registered`);
    const u = new Unit();
    const events = this.eventsOf({ eventIds: r.event_ids, events: r.events.map((e: WireEvent) => ({ ...e, ts: Date.now() })) });
    const run = c.createRun(u, fn, events, { replayOf: id });
    await c.commit(u);
    return { run_id: run.id, replay_of: id };
  }

  async replayMany(f: RunFilter) {
    const c = this.core;
    const params: unknown[] = [];
    const where = this.where({ ...f, statuses: f.statuses ?? ["failed", "cancelled"], cursor: undefined }, params);
    const { rows } = await c.pool.query(
      `SELECT id, function_slug, event_ids, events FROM ${c.s}.runs ${where} ORDER BY id LIMIT 10000`,
      params,
    );
    const u = new Unit();
    const ids: string[] = [];
    for (const r of rows) {
      const fn = c.registry.get(r.function_slug);
      if (!fn || fn.archived) continue;
      const events = this.eventsOf({ eventIds: r.event_ids, events: r.events.map((e: WireEvent) => ({ ...e, ts: Date.now() })) });
      ids.push(c.createRun(u, fn, events, { replayOf: r.id }).id);
    }
    await c.commit(u);
    return { replayed: ids.length, run_ids: ids };
  }

  async listFunctions() {
    const c = this.core;
    const { rows } = await c.pool.query(
      `SELECT function_slug, status, count(*)::int AS n FROM ${c.s}.runs
       WHERE status IN ('queued', 'running') OR created_at > $1 GROUP BY 1, 2`,
      [Date.now() - 86_400_000],
    );
    const counts = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const m = counts.get(r.function_slug) ?? {};
      m[STATUS_LABEL[r.status as RunStatus]] = r.n;
      counts.set(r.function_slug, m);
    }
    return {
      data: c.registry
        .all()
        .sort((a, b) => a.slug.localeCompare(b.slug))
        .map((fn) => this.fnView(fn.slug, counts.get(fn.slug) ?? {})),
    };
  }

  private fnView(slug: string, counts: Record<string, number>) {
    const c = this.core;
    const fn = c.registry.get(slug);
    if (!fn) throw new NotFoundError(`function ${slug} not found`);
    const cfg = fn.config;
    return {
      id: fn.slug,
      name: fn.name,
      app_id: fn.appId,
      url: fn.url,
      paused: fn.paused,
      archived: fn.archived,
      triggers: cfg.triggers,
      retries: fn.maxAttempts - 1,
      flow_control: {
        concurrency: cfg.concurrency ?? null,
        priority: cfg.priority ?? null,
        throttle: cfg.throttle ?? null,
        rateLimit: cfg.rateLimit ?? null,
        idempotency: cfg.idempotency ?? null,
        debounce: cfg.debounce ?? null,
        batchEvents: cfg.batchEvents ?? null,
        singleton: cfg.singleton ?? null,
        cancel: cfg.cancel ?? null,
        timeouts: cfg.timeouts ?? null,
      },
      in_flight: c.scheduler.inFlightOf(fn.slug),
      counts_24h: counts,
    };
  }

  async getFunction(slug: string) {
    const c = this.core;
    if (!c.registry.get(slug)) throw new NotFoundError(`function ${slug} not found`);
    const { rows } = await c.pool.query(
      `SELECT status, count(*)::int AS n FROM ${c.s}.runs WHERE function_slug = $1 AND (status IN ('queued', 'running') OR created_at > $2) GROUP BY 1`,
      [slug, Date.now() - 86_400_000],
    );
    const counts: Record<string, number> = {};
    for (const r of rows) counts[STATUS_LABEL[r.status as RunStatus]] = r.n;
    return { data: this.fnView(slug, counts) };
  }

  async setPaused(slug: string, paused: boolean) {
    const c = this.core;
    const fn = c.registry.get(slug);
    if (!fn) throw new NotFoundError(`function ${slug} not found`);
    await c.pool.query(`UPDATE ${c.s}.functions SET paused = $2, updated_at = $3 WHERE slug = $1`, [slug, paused, Date.now()]);
    fn.paused = paused;
    if (!paused) c.scheduler.resumeFunction(slug);
    return { id: slug, paused };
  }

  async listEvents(q: { name?: string; cursor?: string; limit?: number }) {
    const c = this.core;
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
    const params: unknown[] = [];
    const conds: string[] = [];
    if (q.name) conds.push(`name = $${params.push(q.name)}`);
    if (q.cursor) conds.push(`internal_id < $${params.push(q.cursor)}`);
    const { rows } = await c.pool.query(
      `SELECT * FROM ${c.s}.events ${conds.length ? `WHERE ${conds.join(" AND ")}` : ""} ORDER BY internal_id DESC LIMIT ${limit + 1}`,
      params,
    );
    const page = rows.slice(0, limit);
    const runs = await this.runsForEvents(page.map((r) => r.internal_id));
    return {
      data: page.map((r) => ({ ...this.eventView(r), runs: runs.get(r.internal_id) ?? [] })),
      cursor: rows.length > limit ? (page[page.length - 1]?.internal_id as string) : null,
    };
  }

  private eventView(r: Record<string, unknown>) {
    return {
      internal_id: r.internal_id,
      id: r.id,
      name: r.name,
      data: r.data,
      user: r.user ?? {},
      ts: Number(r.ts),
      received_at: iso(r.received_at),
    };
  }

  private async runsForEvents(ids: string[]) {
    const out = new Map<string, Array<ReturnType<Management["runSummary"]>>>();
    if (!ids.length) return out;
    const c = this.core;
    const { rows } = await c.pool.query(
      `SELECT id, function_slug, status, event_ids, events, batch_id, created_at, started_at, ended_at, output, error, replay_of, cancel_reason, priority
       FROM ${c.s}.runs WHERE event_ids && $1::text[] ORDER BY id`,
      [ids],
    );
    const wanted = new Set(ids);
    for (const r of rows) {
      for (const e of r.event_ids as string[]) {
        if (!wanted.has(e)) continue;
        const list = out.get(e) ?? [];
        list.push(this.runSummary(r));
        out.set(e, list);
      }
    }
    return out;
  }

  async getEvent(id: string) {
    const c = this.core;
    const { rows } = await c.pool.query(`SELECT * FROM ${c.s}.events WHERE internal_id = $1 OR id = $1 ORDER BY internal_id DESC LIMIT 1`, [
      id,
    ]);
    const r = rows[0];
    if (!r) throw new NotFoundError(`event ${id} not found`);
    const runs = await this.runsForEvents([r.internal_id]);
    return { data: { ...this.eventView(r), runs: runs.get(r.internal_id) ?? [] } };
  }

  async eventRuns(id: string) {
    const ev = await this.getEvent(id);
    return { data: ev.data.runs, metadata: { fetched_at: new Date().toISOString(), cached_until: null } };
  }

  async listApps() {
    const c = this.core;
    const { rows } = await c.pool.query(`SELECT * FROM ${c.s}.apps ORDER BY id`);
    return {
      data: rows.map((r) => ({
        id: r.id,
        url: r.url,
        sdk: r.sdk,
        framework: r.framework,
        app_version: r.app_version,
        synced_at: iso(r.synced_at),
        error: r.error,
        functions: c.registry
          .all()
          .filter((f) => f.appId === r.id && !f.archived)
          .map((f) => f.slug),
      })),
    };
  }

  send(events: Parameters<Ingest["ingest"]>[0]) {
    return this.ingest.ingest(events, undefined);
  }
}
