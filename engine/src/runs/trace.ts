import type { Clock } from "../clock.js";
import type { Journal } from "../store/journal.js";
import type { HistoryRow } from "../types.js";
import { ulid } from "../util/ulid.js";

const PREVIEW_BYTES = 64 * 1024;

/** Step output kept in the trace: the whole value when small, a truncated JSON string otherwise. */
export function preview(v: unknown): unknown {
  if (v === undefined) return null;
  const text = JSON.stringify(v);
  if (text === undefined || text.length <= PREVIEW_BYTES) return v;
  return { truncated: true, bytes: text.length, preview: text.slice(0, PREVIEW_BYTES) };
}

/** Which attempt of what the trace row is about; the outcome is added by `Trace.record`. */
export type TraceStep = Pick<HistoryRow, "runId" | "kind" | "stepHash" | "stepName" | "attempt" | "startedAt"> &
  Partial<Pick<HistoryRow, "id" | "endedAt">>;

export type TraceOutcome = Pick<HistoryRow, "status"> & Partial<Pick<HistoryRow, "output" | "error" | "detail" | "endedAt">>;

/**
 * The run's trace (the `history` table): one row per step attempt, sleep, wait, invoke and function-level
 * outcome. A row written again under the same id (a wait, an invoke, a sleep) is updated when it ends.
 */
export class Trace {
  constructor(
    private readonly journal: Journal,
    private readonly clock: Clock,
  ) {}

  record(step: TraceStep, outcome: TraceOutcome): HistoryRow {
    // Assigned rather than spread: in Node 20's V8 spreading `outcome`'s keys onto a copy of `step` takes a slow path
    // (~3 µs a row against ~0.2), and every run writes a few of these.
    const row: HistoryRow = Object.assign({}, step, outcome, {
      id: step.id ?? ulid(this.clock.now()),
      output: outcome.output === undefined ? undefined : preview(outcome.output),
    });
    this.journal.putHistory(row);
    return row;
  }

  /** A function-level entry of the run (completed, failed, cancelled). */
  run(runId: string, attempt: number, startedAt: number, outcome: TraceOutcome): HistoryRow {
    return this.record({ runId, kind: "function", attempt, startedAt }, { endedAt: this.clock.now(), ...outcome });
  }
}
