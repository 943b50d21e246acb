import { storableJsonExact } from "@jobdeck/safe-json";
import type { RunStatus } from "../types.js";

/** Which runs a list, a bulk cancel or a bulk replay is about (the `/v1/runs` query parameters). */
export interface RunFilter {
  functionSlug?: string;
  statuses?: RunStatus[];
  from?: number;
  to?: number;
  cursor?: string;
  limit?: number;
  ids?: string[];
  /** Text anywhere in the triggering events or the output (case-insensitive). */
  text?: string;
  /** An object some triggering event's `data` contains (JSON containment), e.g. a tenant's `{orgId}`. */
  eventData?: Record<string, unknown>;
}

/** `text` as a LIKE pattern matching it literally. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The filter as SQL conditions on the runs table; parameters are appended to `params`. */
export function runsWhere(f: RunFilter, params: unknown[]): string {
  const conds: string[] = [];
  if (f.functionSlug) conds.push(`function_slug = $${params.push(f.functionSlug)}`);
  if (f.statuses?.length) conds.push(`status = ANY($${params.push(f.statuses)}::text[])`);
  if (f.from !== undefined) conds.push(`created_at >= $${params.push(f.from)}`);
  if (f.to !== undefined) conds.push(`created_at <= $${params.push(f.to)}`);
  if (f.cursor) conds.push(`id < $${params.push(f.cursor)}`);
  if (f.ids?.length) conds.push(`id = ANY($${params.push(f.ids)}::text[])`);
  // Escaped as the stored events are (store/batch.ts), so a value starting with U+FFFF still matches itself.
  if (f.eventData) conds.push(`events @> $${params.push(storableJsonExact([{ data: f.eventData }]))}::jsonb`);
  if (f.text) {
    const p = params.push(likePattern(f.text));
    conds.push(`(events::text ILIKE $${p} OR coalesce(output::text, '') ILIKE $${p} OR coalesce(error::text, '') ILIKE $${p})`);
  }
  return conds.length ? `WHERE ${conds.join(" AND ")}` : "";
}
