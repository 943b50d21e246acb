import type { SkipReason } from "../bus.js";

/**
 * What one function made of an event: a run, or why not. Kept with the event, so "why did this event start
 * nothing" has an answer later (GET /v1/events).
 */
export interface EventFate {
  function_id: string;
  outcome: "run" | "skipped" | "filtered";
  reason?: SkipReason | "if_not_matched";
}

const SKIP_TEXT: Record<SkipReason, string> = {
  duplicate_event_id: "an event with the same id was received in the last 24 h (deduplicated by id)",
  idempotency: "its idempotency key was seen in the last 24 h",
  rate_limited: "rate-limited",
  singleton_skip: "a run of it is already active (singleton, mode skip)",
  debounced: "debounced: a run starts with the last event when the debounce period ends",
  batched: "batched: a run starts when the batch is full or its timeout passes",
};

/** Why an event started no run, in words; undefined when it started one or its fate was not recorded. */
export function noRunReason(name: string, fate: EventFate[] | null | undefined, runs: number): string | undefined {
  if (runs > 0 || !fate) return undefined;
  if (!fate.length) return `no function listens to ${name}`;
  return fate
    .map((f) =>
      f.outcome === "filtered"
        ? `${f.function_id}: its trigger's if did not match`
        : f.outcome === "skipped"
          ? `${f.function_id}: ${SKIP_TEXT[f.reason as SkipReason] ?? f.reason}`
          : `${f.function_id}: a run was made, and removed since`,
    )
    .join("; ");
}
