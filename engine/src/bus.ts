import type { Logger } from "pino";
import type { Refusal } from "./store/journal.js";
import type { EventRecord, QueueItem, RunState, RunStatus } from "./types.js";
import type { Unit } from "./unit.js";

/** Why an event started no run of a function that it matched. */
export type SkipReason = "duplicate_event_id" | "idempotency" | "rate_limited" | "singleton_skip" | "debounced" | "batched";

/**
 * What happens in the engine, as typed events. Systems that must react to another's work without depending on it
 * subscribe here (the ingest processes events a run's end emits; the executor dispatches when the queue has work;
 * the run lifecycle fails a run whose row the database refused), and tests wait for these instead of sleeping.
 */
export interface EngineEvents {
  /** An event was stored (from the event API, a lifecycle event, a cron fire, an invoke). */
  "event.stored": { event: EventRecord };
  /** An engine-made event, to be matched (waits, cancellations, triggers) in the same unit of work. */
  "event.emitted": { unit: Unit; event: EventRecord };
  "run.created": { run: RunState };
  /** A function's trigger matched but flow control started no run (yet): the run was skipped, or is being grouped. */
  "run.skipped": { fnSlug: string; eventId: string; reason: SkipReason };
  "run.ended": { run: RunState; status: Extract<RunStatus, "completed" | "failed" | "cancelled"> };
  /** A queue item was handed to the executor / its dispatch finished. */
  "item.dispatched": { item: QueueItem };
  "item.settled": { item: QueueItem };
  /** The scheduler has items ready to dispatch. */
  "queue.ready": Record<string, never>;
  /** The database refused a row of this batch; its run fails. */
  "row.refused": Refusal;
  /** A held app was probed (state/app-availability.ts): `error` says why it still does not answer; none, it answered. */
  "app.probed": { appId: string; error?: string };
}

type Listener<K extends keyof EngineEvents> = (payload: EngineEvents[K]) => void;

export class EngineBus {
  private readonly listeners = new Map<keyof EngineEvents, Set<Listener<never>>>();

  constructor(private readonly log: Logger) {}

  on<K extends keyof EngineEvents>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /**
   * Calls every listener synchronously, in order of subscription. "event.emitted" listeners run inside the emitter's
   * unit of work and their errors propagate to it; a failing observer of any other event is logged, not fatal.
   */
  emit<K extends keyof EngineEvents>(name: K, payload: EngineEvents[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const l of set) {
      if (name === "event.emitted") (l as Listener<K>)(payload);
      else {
        try {
          (l as Listener<K>)(payload);
        } catch (err) {
          this.log.error({ err, event: name }, "an engine event listener failed");
        }
      }
    }
  }

  /** Resolves with the first payload of `name` for which `match` holds (for tests and tools). */
  waitFor<K extends keyof EngineEvents>(
    name: K,
    match: (p: EngineEvents[K]) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<EngineEvents[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no ${name} event within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on(name, (p) => {
        if (!match(p)) return;
        clearTimeout(timer);
        off();
        resolve(p);
      });
    });
  }
}
