import type { EngineContext } from "../context.js";
import { NotFoundError } from "../errors.js";
import { type EventFate, noRunReason } from "../events/fate.js";
import type { Ingest } from "../events/ingest.js";
import type { ValidEvent } from "../events/validate.js";
import { type EventsQuery, selectEvent, selectEventsPage } from "../store/events-sql.js";
import { selectRunsOfEvents } from "../store/runs-sql.js";
import { inngestEnvelope } from "./envelope.js";
import { iso } from "./run-filter.js";
import type { RunSummary, RunsApi } from "./runs-api.js";

/** Events for the `/v1` API: recent events with the runs each started, one event, sending. */
export class EventsApi {
  constructor(
    private readonly ctx: EngineContext,
    private readonly ingest: Ingest,
    private readonly runsApi: RunsApi,
  ) {}

  async list(q: EventsQuery & { limit?: number }) {
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
    const rows = await selectEventsPage(this.ctx.pool, this.ctx.s, q, limit);
    const page = rows.slice(0, limit);
    const runs = await this.runsOf(
      page.map((r) => r.internal_id),
      q.summary === true,
    );
    return {
      data: page.map((r) => withRuns(r, runs.get(r.internal_id) ?? [])),
      cursor: rows.length > limit ? (page[page.length - 1]?.internal_id as string) : null,
    };
  }

  async get(id: string) {
    const r = await selectEvent(this.ctx.pool, this.ctx.s, id);
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

  private async runsOf(ids: string[], brief = false): Promise<Map<string, RunSummary[]>> {
    const out = new Map<string, RunSummary[]>();
    if (!ids.length) return out;
    const rows = await selectRunsOfEvents(this.ctx.pool, this.ctx.s, ids, brief);
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
    // A summary (the list's) carries the data's size instead of the data: fetch one event for its data.
    ...("data" in r ? { data: r.data } : {}),
    ...(r.data_bytes !== undefined ? { data_bytes: r.data_bytes } : {}),
    ...(r.tenant !== undefined ? { tenant: r.tenant } : {}),
    user: r.user ?? {},
    ...(r.meta ? { meta: r.meta } : {}),
    ts: Number(r.ts),
    received_at: iso(r.received_at),
  };
}
