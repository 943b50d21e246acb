import { jsonProblem } from "@jobdeck/safe-json";
import { type Core, DAY_MS, toWire, Unit } from "../core.js";
import { evaluateKey, test } from "../expr/cel.js";
import type { FnDef } from "../registry.js";
import { gcra } from "../sched/gcra.js";
import type { EventRecord } from "../types.js";
import { parseSeed, ulid, ulidFromSeed } from "../util/ulid.js";

export class EventValidationError extends Error {}

const MAX_EVENTS_PER_REQUEST = 5000;
const MAX_NAME_LENGTH = 512;
/** The last millisecond of the year 9999: later timestamps are not dates any column or API can carry. */
export const MAX_TS = 253_402_300_799_999;

interface ValidEvent {
  name: string;
  data: Record<string, unknown>;
  id?: string;
  ts?: number;
  user?: Record<string, unknown>;
  v?: string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** Checks every event before anything is stored: the whole request is accepted or refused. */
export function validateEvents(body: unknown, opts: { internal: boolean; maxEventBytes: number }): ValidEvent[] {
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0) throw new EventValidationError("no events: send an event object or a non-empty array of events");
  if (list.length > MAX_EVENTS_PER_REQUEST)
    throw new EventValidationError(`too many events: ${list.length} (at most ${MAX_EVENTS_PER_REQUEST} per request)`);
  return list.map((raw, i) => {
    const at = list.length > 1 || Array.isArray(body) ? `events[${i}]` : "event";
    if (!isPlainObject(raw)) throw new EventValidationError(`${at}: must be an object with a "name"`);
    const { name, data, id, ts, user, v } = raw;
    if (typeof name !== "string" || name.trim() === "") throw new EventValidationError(`${at}.name: required, a non-empty string`);
    if (name.length > MAX_NAME_LENGTH) throw new EventValidationError(`${at}.name: longer than ${MAX_NAME_LENGTH} characters`);
    if (!opts.internal && name.startsWith("inngest/")) {
      throw new EventValidationError(`${at}.name: "${name}" uses the reserved "inngest/" prefix`);
    }
    if (data !== undefined && data !== null && !isPlainObject(data)) throw new EventValidationError(`${at}.data: must be an object`);
    if (id !== undefined && id !== null && (typeof id !== "string" || id.length > 512)) {
      throw new EventValidationError(`${at}.id: must be a string of at most 512 characters`);
    }
    if (ts !== undefined && ts !== null && (typeof ts !== "number" || !Number.isFinite(ts) || ts < 0 || ts > MAX_TS)) {
      throw new EventValidationError(`${at}.ts: must be a timestamp in milliseconds between 0 and ${MAX_TS} (year 9999)`);
    }
    if (user !== undefined && user !== null && !isPlainObject(user)) throw new EventValidationError(`${at}.user: must be an object`);
    if (v !== undefined && v !== null && typeof v !== "string") throw new EventValidationError(`${at}.v: must be a string`);
    const problem = jsonProblem({ name, id, v }, at) ?? jsonProblem(data, `${at}.data`) ?? jsonProblem(user, `${at}.user`);
    if (problem) throw new EventValidationError(problem);
    const size = Buffer.byteLength(JSON.stringify(raw));
    if (size > opts.maxEventBytes)
      throw new EventValidationError(`${at}: ${size} bytes is larger than the ${opts.maxEventBytes}-byte event limit`);
    const clean: Record<string, unknown> = { ...((data as Record<string, unknown>) ?? {}) };
    if (!opts.internal) delete clean._inngest;
    const out: ValidEvent = { name, data: clean };
    if (typeof id === "string" && id !== "") out.id = id;
    if (typeof ts === "number" && ts > 0) out.ts = Math.floor(ts);
    if (user) out.user = user as Record<string, unknown>;
    if (typeof v === "string") out.v = v;
    return out;
  });
}

/**
 * Event intake and everything an event can cause: resuming waits, cancelling runs (cancelOn), and starting runs
 * of matching functions through flow control (event-id dedup, idempotency, rate limit, debounce, batching,
 * singleton). Effects are journaled with the event and committed before the sender gets its ids.
 */
export class Ingest {
  constructor(private readonly core: Core) {
    core.eventProcessor = (u, ev) => this.process(u, ev);
  }

  async ingest(events: ValidEvent[], seedHeader: string | undefined): Promise<string[]> {
    const c = this.core;
    const now = Date.now();
    const seed = parseSeed(seedHeader);
    const u = new Unit();
    const ids: string[] = [];
    for (const [i, e] of events.entries()) {
      const internalId = seed ? ulidFromSeed(seed, i) : ulid(now);
      ids.push(internalId);
      if (c.recentEvents.has(internalId)) continue; // the SDK retried a send that we already stored
      c.recentEvents.set(internalId, now);
      const rec: EventRecord = {
        internalId,
        id: e.id ?? internalId,
        name: e.name,
        data: e.data,
        user: e.user ?? {},
        v: e.v,
        ts: e.ts ?? now,
        receivedAt: now,
      };
      c.journal.insertEvent(rec);
      c.counters.eventsReceived++;
      this.process(u, rec);
    }
    await c.commit(u);
    return ids;
  }

  process(u: Unit, ev: EventRecord): void {
    const c = this.core;
    const wire = toWire(ev);
    for (const p of c.pauses.forEvent(ev.name)) {
      if (ev.internalId <= p.id) continue; // only events received after the pause began
      if (p.kind === "cancel" && p.data.triggerInternalId === ev.internalId) continue;
      if (p.expr && !test(p.expr, { event: p.data.trigger, async: wire })) continue;
      c.removePause(p);
      if (p.kind === "wait" && p.stepHash) {
        c.enqueueResume(u, p.runId, p.data.fnSlug, p.stepHash, wire, {
          historyKind: "wait",
          name: p.data.stepName,
          matchedEventId: ev.internalId,
        });
      } else if (p.kind === "cancel") {
        c.enqueueCancel(u, p.runId, p.data.fnSlug, `cancelled by event ${ev.name} (${ev.internalId})`);
      }
    }
    const fns = c.registry.matching(ev.name);
    for (const fn of fns) {
      if (fn.archived) continue;
      const matched = fn.triggers.some(
        (t) => t.event && (t.event === ev.name || t.pattern?.test(ev.name)) && (!t.expression || test(t.expression, { event: wire })),
      );
      if (!matched) continue;
      // A paused function still gets its runs: they wait, parked, and start when it resumes (nothing is lost).
      this.start(u, fn, ev);
    }
  }

  /**
   * Flow control ahead of a run: anything that skips, delays or groups events happens here. Cron fires come
   * through here too, so idempotency, rate limits and singletons apply to scheduled runs as they do in Inngest.
   */
  start(u: Unit, fn: FnDef, ev: EventRecord): void {
    const c = this.core;
    const now = Date.now();
    const vars = { event: toWire(ev) };
    if (ev.id !== ev.internalId) {
      const key = `${fn.slug}|${ev.id}`;
      if (c.flowGet("dedup", key, now)) return;
      c.flowPut("dedup", key, 1, now + DAY_MS);
    }
    if (fn.idempotency) {
      const key = `${fn.slug}|${evaluateKey(fn.idempotency, vars)}`;
      if (c.flowGet("idempotency", key, now)) return;
      c.flowPut("idempotency", key, 1, now + DAY_MS);
    }
    if (fn.rateLimit) {
      const rl = fn.rateLimit;
      const key = `${fn.slug}|${rl.key ? evaluateKey(rl.key, vars) : ""}`;
      const r = gcra(c.flowGet("ratelimit", key, now) as number | undefined, now, rl.periodMs / rl.limit, rl.periodMs);
      if (!r.allowed) return;
      c.flowPut("ratelimit", key, r.tat, Math.ceil(r.tat));
    }
    if (fn.debounce) {
      this.debounce(u, fn, ev, now);
      return;
    }
    if (fn.batch) {
      this.batch(u, fn, ev, now);
      return;
    }
    if (fn.singleton) {
      const key = `${fn.slug}|${fn.singleton.key ? evaluateKey(fn.singleton.key, vars) : ""}`;
      const activeId = c.singletons.get(key);
      if (activeId) {
        if (fn.singleton.mode === "skip") return;
        c.singletons.delete(key);
        c.enqueueCancel(u, activeId, fn.slug, `singleton: replaced by a run for event ${ev.internalId}`);
      }
    }
    c.createRun(u, fn, [ev]);
  }

  private debounce(u: Unit, fn: FnDef, ev: EventRecord, now: number): void {
    const c = this.core;
    const d = fn.debounce as NonNullable<FnDef["debounce"]>;
    const key = `${fn.slug}|${d.key ? evaluateKey(d.key, { event: toWire(ev) }) : ""}`;
    const cur = c.flowGet("debounce", key) as { event: EventRecord; firstAt: number; due: number } | undefined;
    const event = cur && cur.event.ts > ev.ts ? cur.event : ev; // an older event never replaces a newer one
    const firstAt = cur?.firstAt ?? now;
    let due = now + d.periodMs;
    if (d.timeoutMs !== undefined) due = Math.min(due, firstAt + d.timeoutMs);
    c.flowPut("debounce", key, { event, firstAt, due });
    u.after.push(() => this.armDebounce(fn.slug, key, due));
  }

  armDebounce(slug: string, key: string, due: number): void {
    this.core.setFlowTimer(`debounce|${key}`, due, () => void this.fireDebounce(slug, key));
  }

  private async fireDebounce(slug: string, key: string): Promise<void> {
    const c = this.core;
    const cur = c.flowGet("debounce", key) as { event: EventRecord; due: number } | undefined;
    if (!cur) return;
    if (cur.due > Date.now()) return this.armDebounce(slug, key, cur.due);
    const u = new Unit();
    c.flowDelete("debounce", key);
    const fn = c.registry.get(slug);
    if (fn && !fn.archived) c.createRun(u, fn, [cur.event]);
    await c.commit(u);
  }

  private batch(u: Unit, fn: FnDef, ev: EventRecord, now: number): void {
    const c = this.core;
    const b = fn.batch as NonNullable<FnDef["batch"]>;
    const vars = { event: toWire(ev) };
    if (b.if && !test(b.if, vars)) {
      c.createRun(u, fn, [ev]);
      return;
    }
    const key = `${fn.slug}|${b.key ? evaluateKey(b.key, vars) : ""}`;
    const cur = (c.flowGet("batch", key) as { events: EventRecord[]; firstAt: number } | undefined) ?? { events: [], firstAt: now };
    const events = [...cur.events, ev];
    if (events.length >= b.maxSize) {
      c.flowDelete("batch", key);
      c.clearFlowTimer(`batch|${key}`);
      c.createRun(u, fn, events, { batchId: ulid(now) });
      return;
    }
    c.flowPut("batch", key, { events, firstAt: cur.firstAt });
    if (cur.events.length === 0) {
      const due = cur.firstAt + b.timeoutMs;
      u.after.push(() => this.armBatch(fn.slug, key, due));
    }
  }

  armBatch(slug: string, key: string, due: number): void {
    this.core.setFlowTimer(`batch|${key}`, due, () => void this.flushBatch(slug, key));
  }

  private async flushBatch(slug: string, key: string): Promise<void> {
    const c = this.core;
    const cur = c.flowGet("batch", key) as { events: EventRecord[] } | undefined;
    if (!cur?.events.length) return;
    const u = new Unit();
    c.flowDelete("batch", key);
    const fn = c.registry.get(slug);
    if (fn && !fn.archived) c.createRun(u, fn, cur.events, { batchId: ulid() });
    await c.commit(u);
  }

  /** After a restart: debounce and batch timers come back from their stored state. */
  rearm(): void {
    for (const [key, v] of this.core.flowEntries("debounce")) {
      this.armDebounce(key.split("|")[0] as string, key, (v as { due: number }).due);
    }
    for (const [key, v] of this.core.flowEntries("batch")) {
      const slug = key.split("|")[0] as string;
      const timeoutMs = this.core.registry.get(slug)?.batch?.timeoutMs ?? 0;
      this.armBatch(slug, key, (v as { firstAt: number }).firstAt + timeoutMs);
    }
  }
}
