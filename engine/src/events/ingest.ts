import type { EngineContext } from "../context.js";
import { test } from "../expr/cel.js";
import type { FnDef } from "../registry.js";
import { toWire } from "../runs/lifecycle.js";
import type { PauseSystem } from "../runs/pause-system.js";
import type { RunQueue } from "../runs/queue.js";
import type { EventRecord, Pause } from "../types.js";
import { Unit } from "../unit.js";
import { parseSeed, ulid, ulidFromSeed, ulidTime } from "../util/ulid.js";
import type { EventFate } from "./fate.js";
import type { FlowControl } from "./flow-control.js";
import type { ValidEvent } from "./validate.js";

/** Internal event ids remembered this long, so that an SDK's retried send is stored once. */
export const RECENT_EVENT_WINDOW_MS = 10 * 60_000;

/**
 * The most events a batch of sent events joins a journal flush with (store/journal.ts `roomForEvents`). Group commit
 * would otherwise gather every concurrent bulk send into one flush: 800 events, runs and queue items took 250–580 ms
 * to write (and 45–110 ms to serialize on the event loop) on a loaded 2-core machine, and a single event of another
 * tenant that arrived meanwhile waited for all of it before its run could be scheduled. A single event never waits.
 */
export const BULK_EVENTS_PER_FLUSH = 100;

/**
 * Whether an event came after a pause began: only those may resume a wait or cancel a run. Compared on the
 * engine's clock (when the event was received, when the pause was made), then by id within one millisecond.
 */
function receivedAfter(ev: EventRecord, p: Pause): boolean {
  const began = ulidTime(p.id);
  return ev.receivedAt > began || (ev.receivedAt === began && ev.internalId > p.id);
}

/** The function an `inngest/function.invoked` event without a parent (sent to /invoke/:slug) starts. */
function invokedByApi(ev: EventRecord): string | undefined {
  if (ev.name !== "inngest/function.invoked") return undefined;
  const meta = (ev.data as { _inngest?: { fn_id?: unknown; correlation_id?: unknown } })._inngest;
  return typeof meta?.fn_id === "string" && !meta.correlation_id ? meta.fn_id : undefined;
}

/**
 * Event intake and everything an event can cause: resuming waits, cancelling runs (cancelOn), and starting runs
 * of matching functions through flow control. Effects are journaled with the event and committed before the sender
 * gets its ids. Events the engine makes itself (a run's end, an invoke) are matched here too, in their own unit.
 */
export class Ingest {
  /** internal event id → receive time, to make an SDK's retried send idempotent. */
  readonly recent = new Map<string, number>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly pauseSystem: PauseSystem,
    private readonly queue: RunQueue,
    private readonly flowControl: FlowControl,
  ) {
    ctx.bus.on("event.emitted", ({ unit, event }) => this.process(unit, event));
  }

  async ingest(events: ValidEvent[], seedHeader: string | undefined): Promise<string[]> {
    const { journal } = this.ctx;
    const u = new Unit();
    if (events.length === 1) {
      // A lone event (another tenant's, typically, beside one's burst) is written beside the flush under way.
      let ids: string[] = [];
      await u.commitBeside(journal, () => {
        ids = this.store(u, events, seedHeader);
      });
      return ids;
    }
    await journal.roomForEvents(events.length, BULK_EVENTS_PER_FLUSH);
    const ids = this.store(u, events, seedHeader);
    await u.commit(journal);
    return ids;
  }

  /** Journals the events and everything they cause into `u`; their internal ids. */
  private store(u: Unit, events: ValidEvent[], seedHeader: string | undefined): string[] {
    const { clock, journal, stats, bus } = this.ctx;
    const now = clock.now();
    const seed = parseSeed(seedHeader);
    const ids: string[] = [];
    for (const [i, e] of events.entries()) {
      const internalId = seed ? ulidFromSeed(seed, i) : ulid(now);
      ids.push(internalId);
      if (this.recent.has(internalId)) continue; // the SDK retried a send that we already stored
      this.recent.set(internalId, now);
      const rec: EventRecord = {
        internalId,
        id: e.id ?? internalId,
        name: e.name,
        data: e.data,
        user: e.user ?? {},
        v: e.v,
        meta: e.meta,
        ts: e.ts ?? now,
        receivedAt: now,
      };
      journal.insertEvent(rec);
      stats.counters.eventsReceived++;
      stats.metrics.eventsReceived.inc();
      this.process(u, rec);
      u.after.push(() => bus.emit("event.stored", { event: rec }));
    }
    return ids;
  }

  process(u: Unit, ev: EventRecord): void {
    const wire = toWire(ev);
    // Expressions (a wait's `if`, cancelOn, trigger filters) see the engine's time in now().
    const now = this.ctx.clock.now();
    for (const p of this.ctx.pauses.forEvent(ev.name)) {
      if (!receivedAfter(ev, p)) continue;
      if (p.kind === "cancel" && p.data.triggerInternalId === ev.internalId) continue;
      if (p.expr && !test(p.expr, { event: p.data.trigger, async: wire }, now)) continue;
      this.pauseSystem.remove(p);
      if (p.kind === "wait" && p.stepHash) {
        this.queue.resume(u, p.runId, p.data.fnSlug, p.stepHash, wire, {
          historyKind: "wait",
          name: p.data.stepName,
          matchedEventId: ev.internalId,
          race: p.data.race,
        });
      } else if (p.kind === "cancel") {
        this.queue.cancel(u, p.runId, p.data.fnSlug, `cancelled by event ${ev.name} (${ev.internalId})`);
      }
    }
    const fate: EventFate[] = [];
    const start = (fn: FnDef) => {
      const reason = this.flowControl.start(u, fn, ev);
      fate.push(reason ? { function_id: fn.slug, outcome: "skipped", reason } : { function_id: fn.slug, outcome: "run" });
    };
    const invoked = invokedByApi(ev);
    if (invoked) {
      // POST /invoke/:slug: the event names its function (Inngest's runner starts FindInvokedFunction for it).
      const fn = this.ctx.registry.get(invoked);
      if (fn && !fn.archived) start(fn);
    }
    for (const fn of this.ctx.registry.matching(ev.name)) {
      if (fn.archived) continue;
      const named = fn.triggers.filter((t) => t.event && (t.event === ev.name || t.pattern?.test(ev.name)));
      const matched = named.some((t) => !t.expression || test(t.expression, { event: wire }, now));
      // A paused function still gets its runs: they wait, parked, and start when it resumes (nothing is lost).
      if (matched) start(fn);
      else if (named.length) fate.push({ function_id: fn.slug, outcome: "filtered", reason: "if_not_matched" });
    }
    // Still in the unit that stores the event, so the row is written with it.
    ev.fate = fate;
  }

  sweep(now: number): void {
    for (const [k, t] of this.recent) if (t < now - RECENT_EVENT_WINDOW_MS) this.recent.delete(k);
  }
}
