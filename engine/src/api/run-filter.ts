import { BadRequestError } from "../errors.js";
import type { RunStatus } from "../types.js";

export type { RunFilter } from "../store/run-filter-sql.js";

export const STATUS_LABEL: Record<RunStatus, string> = {
  queued: "Queued",
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};
const LABEL_TO_STATUS = new Map(Object.entries(STATUS_LABEL).map(([k, v]) => [v.toLowerCase(), k as RunStatus]));
/** "queued, running, completed, failed or cancelled", from the statuses themselves. */
const STATUS_WORDS = [...LABEL_TO_STATUS.keys()].join(", ").replace(/, (\w+)$/, " or $1");

export function parseStatuses(input: string | undefined): RunStatus[] | undefined {
  if (!input) return undefined;
  const out: RunStatus[] = [];
  for (const part of input
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)) {
    const st = LABEL_TO_STATUS.get(part);
    if (!st) throw new BadRequestError(`status: unknown value "${part}" (use ${STATUS_WORDS})`);
    out.push(st);
  }
  return out;
}

/** An ISO date for a stored time; null for none (or a value no date can show, rather than failing the whole list). */
export const iso = (ms: unknown) => {
  if (ms == null) return null;
  const d = new Date(Number(ms));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};
