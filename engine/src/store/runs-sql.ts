import type pg from "pg";
import { type RunFilter, runsOrder, runsWhere } from "./run-filter-sql.js";
import type { RunRow } from "./run-row.js";
import { ACTIVE_SQL } from "./statuses.js";

/**
 * Reads of the runs table (the journal writes it: store/batch.ts). `s` is the engine's schema, quoted. Rows come back
 * as pg returns them; bigint columns are strings.
 */

/** The columns a run summary shows (everything but the memos and the pending set). */
export const SUMMARY_COLUMNS =
  "id, function_slug, status, event_ids, events, batch_id, created_at, started_at, ended_at, output, error, replay_of, cancel_reason, priority, parent";

/** A run as an events list names it: which function, how it stands, when. */
const BRIEF_COLUMNS = "id, function_slug, status, event_ids, created_at, started_at, ended_at, priority";

/** A run summary's columns (SUMMARY_COLUMNS). */
export type SummaryRow = Pick<
  RunRow,
  | "id"
  | "function_slug"
  | "status"
  | "event_ids"
  | "events"
  | "batch_id"
  | "created_at"
  | "started_at"
  | "ended_at"
  | "output"
  | "error"
  | "replay_of"
  | "cancel_reason"
  | "priority"
  | "parent"
>;

/** What a replay starts from: the run's function and its events. */
export interface RunEventsRow {
  id: string;
  function_slug: string;
  event_ids: string[];
  events: RunRow["events"];
}

/** Runs matching the filter, newest first: `limit + 1` rows, so the caller sees whether another page follows. */
export async function selectRunsPage(pool: pg.Pool, s: string, f: RunFilter, limit: number): Promise<SummaryRow[]> {
  const params: unknown[] = [];
  const { rows } = await pool.query(
    `SELECT ${SUMMARY_COLUMNS} FROM ${s}.runs ${runsWhere(f, params)} ORDER BY ${runsOrder(f)} LIMIT ${limit + 1}`,
    params,
  );
  return rows;
}

/** One run's row, every column; undefined when there is none. */
export async function selectRun(pool: pg.Pool, s: string, id: string): Promise<RunRow | undefined> {
  const { rows } = await pool.query(`SELECT * FROM ${s}.runs WHERE id = $1`, [id]);
  return rows[0];
}

/** Ids of the runs matching the filter, oldest first, at most `max`. */
export async function selectRunIds(pool: pg.Pool, s: string, f: RunFilter, max: number): Promise<string[]> {
  const params: unknown[] = [];
  const { rows } = await pool.query(`SELECT id FROM ${s}.runs ${runsWhere(f, params)} ORDER BY id LIMIT ${max}`, params);
  return rows.map((r) => r.id as string);
}

/** The summaries of these runs (those that exist), in no particular order. */
export async function selectRunSummaries(pool: pg.Pool, s: string, ids: string[]): Promise<SummaryRow[]> {
  const { rows } = await pool.query(`SELECT ${SUMMARY_COLUMNS} FROM ${s}.runs WHERE id = ANY($1::text[])`, [ids]);
  return rows;
}

/** A run that replays `id`, if there is one. */
export async function selectReplayOf(pool: pg.Pool, s: string, id: string): Promise<string | undefined> {
  const { rows } = await pool.query(`SELECT id FROM ${s}.runs WHERE replay_of = $1 LIMIT 1`, [id]);
  return rows[0]?.id;
}

/** The function and events of one run. */
export async function selectRunEvents(pool: pg.Pool, s: string, id: string): Promise<RunEventsRow | undefined> {
  const { rows } = await pool.query(`SELECT id, function_slug, event_ids, events FROM ${s}.runs WHERE id = $1`, [id]);
  return rows[0];
}

/** The function and events of the runs matching the filter, oldest first, at most `max`. */
export async function selectRunsEvents(pool: pg.Pool, s: string, f: RunFilter, max: number): Promise<RunEventsRow[]> {
  const params: unknown[] = [];
  const { rows } = await pool.query(
    `SELECT id, function_slug, event_ids, events FROM ${s}.runs ${runsWhere(f, params)} ORDER BY id LIMIT ${max}`,
    params,
  );
  return rows;
}

/** Summaries of the runs any of these events (internal ids) started, oldest first. */
export async function selectRunsOfEvents(pool: pg.Pool, s: string, eventIds: string[], brief = false): Promise<SummaryRow[]> {
  // Sorted here, not by the database: an ORDER BY id made PostgreSQL walk the primary key through every run instead
  // of looking the page's events up in the event_ids index (9 s at a million runs). `brief`: what an events list shows
  // of each run (no events, output or error to read and send).
  const columns = brief ? BRIEF_COLUMNS : SUMMARY_COLUMNS;
  const { rows } = await pool.query(`SELECT ${columns} FROM ${s}.runs WHERE event_ids && $1::text[]`, [eventIds]);
  return (rows as SummaryRow[]).sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));
}

/** Runs per function and status: every active run, and the others created after `since`. */
export async function countRunsPerFunction(
  pool: pg.Pool,
  s: string,
  since: number,
): Promise<Array<{ function_slug: string; status: RunRow["status"]; n: number }>> {
  const { rows } = await pool.query(
    `SELECT function_slug, status, count(*)::int AS n FROM ${s}.runs
       WHERE status IN ${ACTIVE_SQL} OR created_at > $1 GROUP BY 1, 2`,
    [since],
  );
  return rows;
}

/** One function's runs per status: every active run, and the others created after `since`. */
export async function countRunsOfFunction(
  pool: pg.Pool,
  s: string,
  fnSlug: string,
  since: number,
): Promise<Array<{ status: RunRow["status"]; n: number }>> {
  const { rows } = await pool.query(
    `SELECT status, count(*)::int AS n FROM ${s}.runs WHERE function_slug = $1 AND (status IN ${ACTIVE_SQL} OR created_at > $2) GROUP BY 1`,
    [fnSlug, since],
  );
  return rows;
}

/** A bulk cancellation's window: one function's runs created in [startedAfter, startedBefore]. */
export interface CreatedWindow {
  fnSlug: string;
  startedBefore: string | number;
  startedAfter: string | number | null;
}

/** The next `page` active runs in the window, in id order after `after`. */
export async function selectActiveRunIdsIn(pool: pg.Pool, s: string, w: CreatedWindow, after: string, page: number): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM ${s}.runs
         WHERE function_slug = $1 AND status IN ${ACTIVE_SQL} AND created_at <= $2 AND ($3::bigint IS NULL OR created_at >= $3)
           AND id > $4
         ORDER BY id LIMIT ${page}`,
    [w.fnSlug, w.startedBefore, w.startedAfter, after],
  );
  return rows.map((r) => r.id);
}

/** Every active run, with what recovery arms again (singleton keys, timeouts). */
export async function selectActiveRuns(
  pool: pg.Pool,
  s: string,
): Promise<Array<Pick<RunRow, "id" | "function_slug" | "status" | "created_at" | "started_at" | "singleton_key">>> {
  const { rows } = await pool.query(
    `SELECT id, function_slug, status, created_at, started_at, singleton_key FROM ${s}.runs WHERE status IN ${ACTIVE_SQL}`,
  );
  return rows;
}
