/** Shapes shared across the engine. Times are epoch milliseconds. */

export interface EventRecord {
  /** Internal ULID (sorts by receive time). */
  internalId: string;
  /** User-facing id: the sender's idempotency id, or the internal id. */
  id: string;
  name: string;
  data: Record<string, unknown>;
  user?: Record<string, unknown>;
  v?: string;
  /** Merged sessions (events/sessions.ts); absent when the event has none. */
  meta?: { sessions: Record<string, string> };
  ts: number;
  receivedAt: number;
  /** What each matching function made of it (events/fate.ts); set when the event is processed. */
  fate?: Array<{ function_id: string; outcome: "run" | "skipped" | "filtered"; reason?: string }>;
}

/** The event object as the SDK receives it. */
export interface WireEvent {
  id: string;
  name: string;
  data: Record<string, unknown>;
  user: Record<string, unknown>;
  ts: number;
  v?: string;
  meta?: { sessions: Record<string, string> };
}

/**
 * A run's statuses, written once: a run is active (it has work to do) or ended. Every list of statuses, in code and in
 * SQL (store/statuses.ts renders these for statements), comes from these two.
 */
export const ACTIVE_STATUSES = ["queued", "running"] as const;
export const ENDED_STATUSES = ["completed", "failed", "cancelled"] as const;
export type RunStatus = (typeof ACTIVE_STATUSES)[number] | (typeof ENDED_STATUSES)[number];
export const ACTIVE: ReadonlySet<RunStatus> = new Set(ACTIVE_STATUSES);
export const ENDED: ReadonlySet<RunStatus> = new Set(ENDED_STATUSES);

export interface ConcurrencyKey {
  /** Counter identity: "fn:<slug>[:<value>]" or "env:<value>" / "account:<value>". */
  key: string;
  limit: number;
  /** The expression's value, for "why is it waiting" messages. */
  label: string;
  /**
   * Set on the function's tenant key (its first keyed limit): the key's value, whose work the fair scheduler takes in
   * turns with other tenants' (sched/fair-queue.ts). Absent on other keys and on runs stored before fairness.
   */
  tenant?: string;
}

export interface ParentRef {
  runId: string;
  stepHash: string;
  correlationId: string;
}

export interface RunState {
  id: string;
  fnSlug: string;
  status: RunStatus;
  eventIds: string[];
  events: WireEvent[];
  batchId?: string;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  output?: unknown;
  error?: unknown;
  requestVersion: number;
  forceStepPlan: boolean;
  /** Step hashes the run waits on (planned steps, sleeps, waits, invokes); discovery resumes when empty. */
  pending: Set<string>;
  memos: Map<string, unknown>;
  stack: string[];
  priority: number;
  concurrency: ConcurrencyKey[];
  singletonKey?: string;
  parent?: ParentRef;
  replayOf?: string;
  cancelReason?: string;
  /** `defer()` calls by hashed id (runs/defers.ts); absent until the first. */
  defers?: Record<string, DeferEntry>;
  /** Bytes of metadata given to the run so far (runs/metadata.ts), against Inngest's 1 MB per run. */
  metadataBytes?: number;
}

export interface DeferEntry {
  /** The companion function's slug. */
  fnSlug: string;
  /** after_run: starts when the run ends; scheduled: its event was sent; aborted / rejected: never starts. */
  status: "after_run" | "scheduled" | "aborted" | "rejected";
  name?: string;
  input?: Record<string, unknown>;
  meta?: unknown;
  /** Why a rejected defer was dropped (Inngest's reason names: per_run_count, per_defer_size…). */
  reason?: string;
}

/** exec: an SDK request; resume: apply a memo to a step (sleep end, matched wait, invoke result); gateway: step.fetch; cancel. */
export type ItemKind = "exec" | "resume" | "gateway" | "cancel";

export interface QueueItem {
  id: string;
  runId: string;
  fnSlug: string;
  kind: ItemKind;
  /** "step" for discovery, otherwise the hashed step id. */
  stepId: string;
  attempt: number;
  /** Earliest dispatch time. */
  at: number;
  /** Ordering among ready items: run start minus priority seconds (older and higher priority first). */
  score: number;
  /** True for a run's first request: throttle and start timeouts apply. */
  isStart: boolean;
  concurrency: ConcurrencyKey[];
  throttleKey?: string;
  /** Kind-specific data: gateway request, sleep step name, etc. */
  data?: Record<string, unknown>;
  /** Why this item is waiting, for the management API. */
  /** `step`: the step whose failure a retry follows, when the request that failed was running one. */
  wait?: { reason: "retry" | "throttle" | "sleep" | "delayed"; until: number; maxAttempts?: number; step?: string };
  seq: number;
}

export type PauseKind = "wait" | "cancel" | "invoke" | "signal";

export interface Pause {
  id: string;
  runId: string;
  kind: PauseKind;
  event?: string;
  expr?: string;
  expiresAt: number;
  stepHash?: string;
  data: {
    /** The run's triggering event, bound as `event` in the expression. */
    trigger?: WireEvent;
    triggerInternalId?: string;
    correlationId?: string;
    /** The signal a `step.waitForSignal` waits for (POST /v1/signals resumes it). */
    signal?: string;
    fnSlug: string;
    stepName?: string;
    target?: string;
    /** The step is in a `group.parallel({ mode: "race" })`: its end asks for the next steps at once. */
    race?: true;
  };
}

export interface HistoryRow {
  id: string;
  runId: string;
  kind: "step" | "function" | "sleep" | "wait" | "signal" | "invoke" | "gateway" | "metadata";
  stepHash?: string;
  stepName?: string;
  attempt: number;
  status: "running" | "completed" | "errored" | "failed" | "sleeping" | "waiting" | "timed_out" | "cancelled";
  startedAt: number;
  endedAt?: number;
  output?: unknown;
  error?: unknown;
  detail?: Record<string, unknown>;
}

export interface StateRow {
  kind: string;
  key: string;
  value: unknown;
  expiresAt?: number | null;
}
