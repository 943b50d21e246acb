import type { RunState } from "../types.js";

/** A row of the runs table as pg returns it (bigint columns arrive as strings). */
export interface RunRow {
  id: string;
  function_slug: string;
  status: RunState["status"];
  event_ids: string[];
  events: RunState["events"];
  batch_id: string | null;
  created_at: string | number;
  started_at: string | number | null;
  ended_at: string | number | null;
  output: unknown;
  error: unknown;
  request_version: number;
  force_step_plan: boolean;
  pending: string[];
  priority: number;
  concurrency: RunState["concurrency"];
  singleton_key: string | null;
  parent: RunState["parent"] | null;
  replay_of: string | null;
  cancel_reason: string | null;
  defers?: RunState["defers"] | null;
  metadata_bytes?: number | null;
}

/** A runs row (and its memos, in stack order) as the run's state. */
export function runFromRow(r: RunRow, memos: Array<{ hash: string; memo: unknown }>): RunState {
  return {
    id: r.id,
    fnSlug: r.function_slug,
    status: r.status,
    eventIds: r.event_ids,
    events: r.events,
    batchId: r.batch_id ?? undefined,
    createdAt: Number(r.created_at),
    startedAt: r.started_at == null ? undefined : Number(r.started_at),
    endedAt: r.ended_at == null ? undefined : Number(r.ended_at),
    output: r.output ?? undefined,
    error: r.error ?? undefined,
    requestVersion: r.request_version,
    forceStepPlan: r.force_step_plan,
    pending: new Set(r.pending),
    memos: new Map(memos.map((m) => [m.hash, m.memo])),
    stack: memos.map((m) => m.hash),
    priority: r.priority,
    concurrency: r.concurrency,
    singletonKey: r.singleton_key ?? undefined,
    parent: r.parent ?? undefined,
    replayOf: r.replay_of ?? undefined,
    cancelReason: r.cancel_reason ?? undefined,
    defers: r.defers ?? undefined,
    metadataBytes: r.metadata_bytes ?? 0,
  };
}
