import { ACTIVE_STATUSES, ENDED_STATUSES } from "../types.js";

/**
 * A list of constant words as an SQL list literal: `('queued', 'running')`. Only for the engine's own constants
 * (never input), which is why it refuses anything but lowercase words instead of escaping.
 */
function sqlList(words: readonly string[]): string {
  for (const w of words) if (!/^[a-z_]+$/.test(w)) throw new Error(`not a status word: ${JSON.stringify(w)}`);
  return `(${words.map((w) => `'${w}'`).join(", ")})`;
}

/**
 * The run status lists of types.ts as SQL, for `status IN …`. A literal rather than a parameter: the planner then
 * sees the same predicate as the partial index runs_active_idx (migration 001), as it did when it was written out.
 */
export const ACTIVE_SQL = sqlList(ACTIVE_STATUSES);
export const ENDED_SQL = sqlList(ENDED_STATUSES);
