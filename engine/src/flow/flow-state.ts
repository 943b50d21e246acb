import type { Clock } from "../clock.js";
import { evaluateKey } from "../expr/cel.js";
import type { TimerHandle, Timers } from "../sched/timers.js";
import type { Journal } from "../store/journal.js";
import type { EventRecord } from "../types.js";

/** What flow control remembers between events, by kind. Persisted in the `state` table as `(kind, key) → value`. */
export interface FlowValues {
  /** An event id seen for a function in the last 24 h. */
  dedup: 1;
  /** An idempotency key value seen for a function in the last 24 h. */
  idempotency: 1;
  /** GCRA theoretical arrival time of a rate limit / a throttle key (epoch ms). */
  ratelimit: number;
  throttle: number;
  /** The event a debounce will start its run with, when the wait began, and when it is due. */
  debounce: { event: EventRecord; firstAt: number; due: number };
  /** The events collected for a batch, and when the first arrived. */
  batch: { events: EventRecord[]; firstAt: number };
  /** The last scheduled time a cron fired for (epoch ms). */
  cron: number;
}

export type FlowKind = keyof FlowValues;

interface Entry {
  value: unknown;
  expiresAt?: number | null;
}

/**
 * The key of one function's flow-control bucket: "<fn slug>|<value>", where the value is the key expression
 * evaluated against the event at `now` (empty without an expression: one bucket for the function).
 */
export function flowKey(fnSlug: string, expression: string | undefined, vars: Record<string, unknown>, now: number): string {
  return scopedKey(fnSlug, expression ? evaluateKey(expression, vars, now) : "");
}

/** "<fn slug>|<value>" for a value that is not an expression's (an event id, a cron schedule). */
export function scopedKey(fnSlug: string, value: string): string {
  return `${fnSlug}|${value}`;
}

/** The function a flow key belongs to. */
export const fnOfKey = (key: string): string => key.slice(0, key.indexOf("|"));

/**
 * Flow-control state in memory, written through the journal (dedup keys, GCRA times, debounce and batch buffers,
 * cron marks), with the timers that debounces and batches wait on.
 */
export class FlowState {
  private readonly entries = new Map<string, Entry>();
  private readonly timers = new Map<string, TimerHandle>();

  constructor(
    /** Only its state rows: flow state is written through the journal with the decision that changed it. */
    private readonly journal: Pick<Journal, "putState" | "deleteState">,
    private readonly clock: Clock,
    private readonly timerWheel: Timers,
  ) {}

  private static id(kind: FlowKind, key: string): string {
    return `${kind}\u0000${key}`;
  }

  get<K extends FlowKind>(kind: K, key: string, now = this.clock.now()): FlowValues[K] | undefined {
    const id = FlowState.id(kind, key);
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (e.expiresAt != null && e.expiresAt <= now) {
      this.entries.delete(id);
      return undefined;
    }
    return e.value as FlowValues[K];
  }

  put<K extends FlowKind>(kind: K, key: string, value: FlowValues[K], expiresAt?: number | null): void {
    this.entries.set(FlowState.id(kind, key), { value, expiresAt });
    this.journal.putState({ kind, key, value, expiresAt });
  }

  delete(kind: FlowKind, key: string): void {
    this.entries.delete(FlowState.id(kind, key));
    this.journal.deleteState(kind, key);
  }

  list<K extends FlowKind>(kind: K): Array<[string, FlowValues[K]]> {
    const out: Array<[string, FlowValues[K]]> = [];
    const prefix = `${kind}\u0000`;
    for (const [k, v] of this.entries) if (k.startsWith(prefix)) out.push([k.slice(prefix.length), v.value as FlowValues[K]]);
    return out;
  }

  /** Recovery: a stored row back in memory (not journaled again). */
  restore(kind: string, key: string, value: unknown, expiresAt: number | null): void {
    this.entries.set(`${kind}\u0000${key}`, { value, expiresAt });
  }

  /** (Re)arms the timer `id` (one per debounce or batch bucket). */
  setTimer(id: string, at: number, fire: () => void): void {
    this.timerWheel.cancel(this.timers.get(id));
    this.timers.set(
      id,
      this.timerWheel.at(at, () => {
        this.timers.delete(id);
        fire();
      }),
    );
  }

  clearTimer(id: string): void {
    this.timerWheel.cancel(this.timers.get(id));
    this.timers.delete(id);
  }

  /** Drops expired entries from memory (the database's are deleted by the sweep that calls this). */
  dropExpired(now: number): void {
    for (const [k, e] of this.entries) if (e.expiresAt != null && e.expiresAt <= now) this.entries.delete(k);
  }
}
