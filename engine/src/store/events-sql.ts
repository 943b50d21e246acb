import type pg from "pg";
import { tenantIs } from "./tenant-sql.js";

/** Reads of the events table (the journal writes it). */

// biome-ignore lint/suspicious/noExplicitAny: event columns are read by name where events are shown
export type EventRow = Record<string, any>;

export interface EventsQuery {
  name?: string;
  /** Only this tenant's events (the event data's orgId, migration 010): one index range, whatever others send. */
  tenant?: string;
  /** Without each event's data (the list's summary): name, ids, times, size, fate. */
  summary?: boolean;
  cursor?: string;
  receivedAfter?: number;
  receivedBefore?: number;
}

/** An event's columns without its data (and its size instead). */
const SUMMARY_COLUMNS = `internal_id, id, name, "user", v, meta, ts, received_at, fate, tenant, data_bytes`;

/** Events matching the query, newest first: `limit + 1` rows, so the caller sees whether another page follows. */
export async function selectEventsPage(pool: pg.Pool, s: string, q: EventsQuery, limit: number): Promise<EventRow[]> {
  const params: unknown[] = [];
  const conds: string[] = [];
  if (q.tenant !== undefined) conds.push(tenantIs(params.push(q.tenant)));
  if (q.name) conds.push(`name = $${params.push(q.name)}`);
  if (q.cursor) conds.push(`internal_id < $${params.push(q.cursor)}`);
  if (q.receivedAfter !== undefined) conds.push(`received_at >= $${params.push(q.receivedAfter)}`);
  if (q.receivedBefore !== undefined) conds.push(`received_at <= $${params.push(q.receivedBefore)}`);
  const { rows } = await pool.query(
    `SELECT ${q.summary ? SUMMARY_COLUMNS : "*"} FROM ${s}.events ${conds.length ? `WHERE ${conds.join(" AND ")}` : ""}
     ORDER BY ${eventsOrder(q)} LIMIT ${limit + 1}`,
    params,
  );
  return rows;
}

/** Newest first; with a tenant, in its index's order (see tenantIs). */
function eventsOrder(q: EventsQuery): string {
  if (q.tenant === undefined) return "internal_id DESC";
  return q.name ? "tenant, name, internal_id DESC" : "tenant, internal_id DESC";
}

/** One event by internal id or by its user-facing id (the newest, when a sender reused an id). */
export async function selectEvent(pool: pg.Pool, s: string, id: string): Promise<EventRow | undefined> {
  // Two index lookups rather than one `internal_id = $1 OR id = $1`, which PostgreSQL answered by reading every event
  // (88 ms at 1.5 million).
  const { rows } = await pool.query(
    `(SELECT * FROM ${s}.events WHERE internal_id = $1)
     UNION ALL
     (SELECT * FROM ${s}.events WHERE id = $1 ORDER BY internal_id DESC LIMIT 1)
     LIMIT 1`,
    [id],
  );
  return rows[0];
}

/** Events received after `since`: internal id and receive time (a retried send is recognised across a restart). */
export async function selectRecentEvents(pool: pg.Pool, s: string, since: number): Promise<Array<[string, number]>> {
  const { rows } = await pool.query(`SELECT internal_id, received_at FROM ${s}.events WHERE received_at > $1`, [since]);
  return rows.map((r) => [r.internal_id as string, Number(r.received_at)]);
}
