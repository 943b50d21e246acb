import { storableJsonExact } from "@jobdeck/safe-json";
import type { RunStatus } from "../types.js";
import { tenantIs } from "./tenant-sql.js";

/** Which runs a list, a bulk cancel or a bulk replay is about (the `/v1/runs` query parameters). */
export interface RunFilter {
  functionSlug?: string;
  /** Functions whose runs are left out. */
  excludeFunctionSlugs?: string[];
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
  /** Only this tenant's runs (their triggering event's orgId, migration 010). */
  tenant?: string;
}

/** The tenant an event_data filter names when it is exactly `{orgId: "<string>"}`. */
function tenantOnly(data: Record<string, unknown> | undefined): string | undefined {
  if (!data) return undefined;
  const keys = Object.keys(data);
  return keys.length === 1 && keys[0] === "orgId" && typeof data.orgId === "string" ? data.orgId : undefined;
}

/** Newest first; with a tenant, in its index's order (see tenantIs). */
export function runsOrder(f: RunFilter): string {
  return f.tenant !== undefined || tenantOnly(f.eventData) !== undefined ? "tenant, id DESC" : "id DESC";
}

/** `text` as a LIKE pattern matching it literally. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The filter as SQL conditions on the runs table; parameters are appended to `params`. */
export function runsWhere(f: RunFilter, params: unknown[]): string {
  const conds: string[] = [];
  if (f.functionSlug) conds.push(`function_slug = $${params.push(f.functionSlug)}`);
  if (f.excludeFunctionSlugs?.length) conds.push(`function_slug <> ALL($${params.push(f.excludeFunctionSlugs)}::text[])`);
  // One status as an equality, so an index on (…, status, id) keeps serving the newest-first order.
  if (f.statuses?.length === 1) conds.push(`status = $${params.push(f.statuses[0])}`);
  else if (f.statuses?.length) conds.push(`status = ANY($${params.push(f.statuses)}::text[])`);
  if (f.from !== undefined) conds.push(`created_at >= $${params.push(f.from)}`);
  if (f.to !== undefined) conds.push(`created_at <= $${params.push(f.to)}`);
  if (f.cursor) conds.push(`id < $${params.push(f.cursor)}`);
  if (f.ids?.length) conds.push(`id = ANY($${params.push(f.ids)}::text[])`);
  // `{orgId: X}` alone is the tenant: its own indexed column rather than containment over every run's events.
  const tenant = f.tenant ?? tenantOnly(f.eventData);
  if (tenant !== undefined) conds.push(tenantIs(params.push(tenant)));
  // Escaped as the stored events are (store/batch.ts), so a value starting with U+FFFF still matches itself.
  else if (f.eventData) conds.push(`events @> $${params.push(storableJsonExact([{ data: f.eventData }]))}::jsonb`);
  if (f.text) {
    const p = params.push(likePattern(f.text));
    conds.push(`(events::text ILIKE $${p} OR coalesce(output::text, '') ILIKE $${p} OR coalesce(error::text, '') ILIKE $${p})`);
  }
  return conds.length ? `WHERE ${conds.join(" AND ")}` : "";
}
