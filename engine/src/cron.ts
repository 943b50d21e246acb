import { createHash } from "node:crypto";
import { Cron } from "croner";
import type { EngineContext } from "./context.js";
import { scopedKey } from "./flow/flow-state.js";
import type { FnDef } from "./registry.js";
import type { TimerHandle } from "./sched/timers.js";
import type { EventRecord } from "./types.js";
import { Unit } from "./unit.js";
import { parseDuration } from "./util/duration.js";
import { ulid } from "./util/ulid.js";

/** Missed fire times older than this (the engine was down) are skipped rather than fired late. */
const MISSED_GRACE_MS = 60_000;

export interface CronSpec {
  next(after: number): number;
}

/** Parses an Inngest cron: 5 fields or @hourly/@daily/…, optional "TZ=Area/City " prefix, or "@every <duration>". */
export function parseCron(expr: string): CronSpec {
  let text = expr.trim();
  let timezone: string | undefined;
  const tz = /^(?:CRON_)?TZ=(\S+)\s+(.*)$/.exec(text);
  if (tz) {
    timezone = tz[1];
    text = (tz[2] as string).trim();
  }
  const every = /^@every\s+(\S+)$/.exec(text);
  if (every) {
    const ms = parseDuration(every[1] as string);
    if (ms < 1000) throw new Error(`@every needs at least 1s, got "${every[1]}"`);
    return { next: (after) => (Math.floor(after / ms) + 1) * ms };
  }
  if (text.split(/\s+/).length !== 5 && !text.startsWith("@")) {
    throw new Error(`cron "${expr}" must have 5 fields (minute hour day-of-month month day-of-week)`);
  }
  const cron = new Cron(text, { timezone, paused: true });
  return {
    next: (after) => {
      const d = cron.nextRun(new Date(after));
      if (!d) throw new Error(`cron "${expr}" never fires again`);
      return d.getTime();
    },
  };
}

/** Deterministic jitter per function and schedule, as Inngest spreads crons with `jitter`. */
function jitterFor(slug: string, expr: string, maxMs: number | undefined): number {
  if (!maxMs) return 0;
  const h = createHash("sha1").update(`${slug}|${expr}`).digest().readUInt32BE(0);
  return h % maxMs;
}

/**
 * Cron triggers. The last scheduled time per function and schedule is stored with the run it starts, so a
 * restart (or a second engine taking over) never fires the same time twice.
 */
export class CronScheduler {
  private readonly timers = new Map<string, TimerHandle>();

  constructor(
    private readonly ctx: EngineContext,
    /** Starts a run through the function's flow control (the event ingest's, so idempotency and friends apply). */
    private readonly startRun: (u: Unit, fn: FnDef, ev: EventRecord) => void,
  ) {}

  /** (Re)arms every cron of these functions; removed schedules are dropped. */
  sync(fns: FnDef[]): void {
    for (const fn of fns) {
      for (const [id, h] of this.timers) {
        if (id.startsWith(`${fn.slug}|`)) {
          this.ctx.timers.cancel(h);
          this.timers.delete(id);
        }
      }
      if (fn.archived) continue;
      for (const t of fn.triggers) if (t.cron) this.arm(fn, t.cron, t.jitterMs);
    }
  }

  stop(): void {
    for (const h of this.timers.values()) this.ctx.timers.cancel(h);
    this.timers.clear();
  }

  private arm(fn: FnDef, expr: string, jitterMs: number | undefined): void {
    const c = this.ctx;
    let spec: CronSpec;
    try {
      spec = parseCron(expr);
    } catch (err) {
      c.log.warn({ err, fn: fn.slug, cron: expr }, "invalid cron; not scheduled");
      return;
    }
    const id = scopedKey(fn.slug, expr);
    const now = c.clock.now();
    const last = c.flow.get("cron", id);
    let next = spec.next(last ?? now);
    if (next < now - MISSED_GRACE_MS) next = spec.next(now);
    const fireAt = next + jitterFor(fn.slug, expr, jitterMs);
    c.timers.cancel(this.timers.get(id)); // a sync during a fire may have armed it already
    this.timers.set(
      id,
      c.timers.at(fireAt, () => {
        this.timers.delete(id);
        void this.fire(fn.slug, expr, next, fireAt);
      }),
    );
  }

  private async fire(slug: string, expr: string, scheduledAt: number, fireAt: number): Promise<void> {
    const c = this.ctx;
    const fn = c.registry.get(slug);
    if (!fn || fn.archived || !fn.triggers.some((t) => t.cron === expr)) return;
    const id = scopedKey(slug, expr);
    const last = c.flow.get("cron", id);
    if (last === undefined || last < scheduledAt) {
      const u = new Unit();
      c.flow.put("cron", id, scheduledAt);
      // A paused function skips its scheduled times (as on Inngest): they are not kept for the resume.
      if (!fn.paused) {
        const now = c.clock.now();
        const internalId = ulid(now);
        const ev = {
          internalId,
          id: `${new Date(scheduledAt).toISOString()}`,
          name: "inngest/scheduled.timer",
          data: { cron: expr, scheduledAt: new Date(scheduledAt).toISOString(), fireAt: new Date(fireAt).toISOString() },
          user: {},
          ts: now,
          receivedAt: now,
        };
        c.journal.insertEvent(ev);
        this.startRun(u, fn, ev);
      }
      await u.commit(c.journal);
    }
    const current = c.registry.get(slug);
    const trigger = current?.triggers.find((t) => t.cron === expr);
    if (current && trigger) this.arm(current, expr, trigger.jitterMs);
  }
}
