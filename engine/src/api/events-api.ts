import type { EngineContext } from "../context.js";
import { NotFoundError } from "../errors.js";
import { type EventFate, noRunReason } from "../events/fate.js";
import type { Ingest } from "../events/ingest.js";
import type { ValidEvent } from "../events/validate.js";
import { inngestEnvelope } from "./envelope.js";
import { iso } from "./run-filter.js";
import { type RunSummary, type RunsApi, SUMMARY_COLUMNS } from "./runs-api.js";

/** Events for the `/v1` API: recent events with the runs each started, one event, sending. */
export class EventsApi {
  constructor(
    private readonly ctx: EngineContext,
    private readonly ingest: Ingest,
    private readonly runsApi: RunsApi,
  ) {}

  async list(q: { name?: string; cursor?: string; limit?: number; receivedAfter?: number; receivedBefore?: number }) {
    const { pool, s } = this.ctx;
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
    const params: unknown[] = [];
    const conds: string[] = [];
    if (q.name) conds.push(`name = $${params.push(q.name)}`);
    if (q.cursor) conds.push(`internal_id < $${params.push(q.cursor)}`);
    if (q.receivedAfter !== undefined) conds.push(`received_at >= $${params.push(q.receivedAfter)}`);
    if (q.receivedBefore !== undefined) conds.push(`received_at <= $${params.push(q.receivedBefore)}`);
    const { rows } = await pool.query(
      `SELECT * FROM ${s}.events ${conds.length ? `WHERE ${conds.join(" AND ")}` : ""} ORDER BY internal_id DESC LIMIT ${limit + 1}`,
      params,
    );
    const page = rows.slice(0, limit);
    const runs = await this.runsOf(page.map((r) => r.internal_id));
    return {
      data: page.map((r) => withRuns(r, runs.get(r.internal_id) ?? [])),
      cursor: rows.length > limit ? (page[page.length - 1]?.internal_id as string) : null,
    };
  }

  async get(id: string) {
    const { pool, s } = this.ctx;
    const { rows } = await pool.query(`SELECT * FROM ${s}.events WHERE internal_id = $1 OR id = $1 ORDER BY internal_id DESC LIMIT 1`, [
      id,
    ]);
    const r = rows[0];
    if (!r) throw new NotFoundError(`event ${id} not found`);
    const runs = await this.runsOf([r.internal_id]);
    return { data: withRuns(r, runs.get(r.internal_id) ?? []) };
  }

  async runs(id: string) {
    const ev = await this.get(id);
    return inngestEnvelope(ev.data.runs, this.ctx.clock.now());
  }

  send(events: ValidEvent[]) {
    return this.ingest.ingest(events, undefined);
  }

  /** `POST /e/:key`: the SDK's send, with its id seed (a retried send gets the same ids). */
  ingestFromSdk(events: ValidEvent[], seed: string | undefined) {
    return this.ingest.ingest(events, seed);
  }

  private async runsOf(ids: string[]): Promise<Map<string, RunSummary[]>> {
    const out = new Map<string, RunSummary[]>();
    if (!ids.length) return out;
    const { rows } = await this.ctx.pool.query(
      `SELECT ${SUMMARY_COLUMNS} FROM ${this.ctx.s}.runs WHERE event_ids && $1::text[] ORDER BY id`,
      [ids],
    );
    const wanted = new Set(ids);
    for (const r of rows) {
      for (const e of r.event_ids as string[]) {
        if (!wanted.has(e)) continue;
        const list = out.get(e) ?? [];
        list.push(this.runsApi.summary(r));
        out.set(e, list);
      }
    }
    return out;
  }
}

/**
 * An event with the runs it started, what each matching function made of it (`fate`), and, when it started none,
 * why (`no_run_reason`: no function listens, an `if` did not match, deduplicated, rate-limited…).
 */
function withRuns(r: Record<string, unknown>, runs: RunSummary[]) {
  const fate = (r.fate as EventFate[] | null | undefined) ?? null;
  return { ...view(r), runs, fate, no_run_reason: noRunReason(r.name as string, fate, runs.length) ?? null };
}

function view(r: Record<string, unknown>) {
  return {
    internal_id: r.internal_id,
    id: r.id,
    name: r.name,
    data: r.data,
    user: r.user ?? {},
    ...(r.meta ? { meta: r.meta } : {}),
    ts: Number(r.ts),
    received_at: iso(r.received_at),
  };
}
