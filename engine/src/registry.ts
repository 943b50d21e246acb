import { z } from "zod";
import { ConfigError } from "./errors.js";
import { compile, ExpressionError } from "./expr/cel.js";
import { MAX_WAIT_MS, parseDuration } from "./util/duration.js";

/** The SDK's FunctionConfig (notes §1.3); unknown fields are kept and ignored. */
const durationString = z.union([z.string(), z.number()]);
const concurrencyEntry = z.object({
  limit: z.number().int().min(0),
  key: z.string().optional(),
  scope: z.enum(["fn", "env", "account"]).optional(),
});
export const functionConfigSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  triggers: z
    .array(
      z.looseObject({
        event: z.string().optional(),
        expression: z.string().optional(),
        cron: z.string().optional(),
        jitter: z.string().optional(),
      }),
    )
    .default([]),
  steps: z.record(
    z.string(),
    z.looseObject({
      id: z.string().optional(),
      name: z.string().optional(),
      runtime: z.looseObject({ type: z.string().optional(), url: z.string().url() }),
      retries: z.object({ attempts: z.number().int().min(0).max(20) }).optional(),
    }),
  ),
  concurrency: z.union([z.number().int().min(0), concurrencyEntry, z.array(concurrencyEntry).max(2)]).optional(),
  priority: z.object({ run: z.string().optional() }).optional(),
  throttle: z
    .object({
      limit: z.number().int().min(1),
      period: durationString,
      burst: z.number().int().min(0).optional(),
      key: z.string().optional(),
    })
    .optional(),
  rateLimit: z.object({ limit: z.number().int().min(1), period: durationString, key: z.string().optional() }).optional(),
  idempotency: z.string().optional(),
  debounce: z.object({ period: durationString, key: z.string().optional(), timeout: durationString.optional() }).optional(),
  batchEvents: z
    .object({ maxSize: z.number().int().min(1), timeout: durationString, key: z.string().optional(), if: z.string().optional() })
    .optional(),
  timeouts: z.object({ start: durationString.optional(), finish: durationString.optional() }).optional(),
  singleton: z.object({ key: z.string().optional(), mode: z.enum(["skip", "cancel"]) }).optional(),
  cancel: z.array(z.object({ event: z.string().min(1), if: z.string().optional(), timeout: durationString.optional() })).optional(),
});
export type FunctionConfig = z.infer<typeof functionConfigSchema>;

export interface Trigger {
  event?: string;
  /** Set for wildcard triggers such as "app/*". */
  pattern?: RegExp;
  expression?: string;
  cron?: string;
  jitterMs?: number;
}

export interface FnDef {
  slug: string;
  appId: string;
  name: string;
  url: string;
  config: FunctionConfig;
  paused: boolean;
  archived: boolean;
  maxAttempts: number;
  triggers: Trigger[];
  concurrency: Array<{ limit: number; key?: string; scope: "fn" | "env" | "account" }>;
  priorityExpr?: string;
  throttle?: { limit: number; periodMs: number; burst: number; key?: string };
  rateLimit?: { limit: number; periodMs: number; key?: string };
  idempotency?: string;
  debounce?: { periodMs: number; key?: string; timeoutMs?: number };
  batch?: { maxSize: number; timeoutMs: number; key?: string; if?: string };
  singleton?: { key?: string; mode: "skip" | "cancel" };
  cancel: Array<{ event: string; if?: string; timeoutMs: number }>;
  timeouts: { startMs?: number; finishMs?: number };
}

export const DEFAULT_RETRIES = 4;
const YEAR_MS = 365 * 86_400_000;

export { ConfigError };

function duration(fn: string, field: string, v: string | number, min = 0, max = Number.POSITIVE_INFINITY): number {
  let ms: number;
  try {
    ms = parseDuration(v);
  } catch (err) {
    throw new ConfigError(`function "${fn}": ${field}: ${(err as Error).message}`);
  }
  if (ms < min || ms > max) throw new ConfigError(`function "${fn}": ${field} must be between ${min} ms and ${max} ms`);
  return ms;
}

function expr(fn: string, field: string, e: string | undefined): string | undefined {
  if (e === undefined || e === "") return undefined;
  try {
    compile(e);
  } catch (err) {
    if (err instanceof ExpressionError) throw new ConfigError(`function "${fn}": ${field}: ${err.message}`);
    throw err;
  }
  return e;
}

function wildcard(name: string): RegExp | undefined {
  if (!name.includes("*")) return undefined;
  const escaped = name.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

/** Validates one FunctionConfig from a sync and turns it into the engine's definition; throws ConfigError. */
export function defineFunction(appId: string, raw: unknown): FnDef {
  const parsed = functionConfigSchema.safeParse(raw);
  const id = (raw as { id?: unknown })?.id;
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`function "${String(id)}": ${issue?.path.join(".") || "config"}: ${issue?.message}`);
  }
  const c = parsed.data;
  const slug = c.id;
  const step = c.steps.step ?? Object.values(c.steps)[0];
  if (!step) throw new ConfigError(`function "${slug}": steps.step.runtime.url is required`);
  const triggers: Trigger[] = c.triggers.map((t, i) => {
    if (t.cron) {
      return { cron: t.cron, jitterMs: t.jitter ? duration(slug, `triggers[${i}].jitter`, t.jitter, 0, 300_000) : undefined };
    }
    if (!t.event) throw new ConfigError(`function "${slug}": triggers[${i}] needs an event or a cron`);
    return { event: t.event, pattern: wildcard(t.event), expression: expr(slug, `triggers[${i}].expression`, t.expression) };
  });
  const crons = triggers.filter((t) => t.cron).map((t) => t.cron);
  if (new Set(crons).size !== crons.length) throw new ConfigError(`function "${slug}": duplicate cron triggers`);

  const cc = c.concurrency === undefined ? [] : Array.isArray(c.concurrency) ? c.concurrency : [c.concurrency];
  const concurrency = cc
    .map((e) => (typeof e === "number" ? { limit: e, scope: "fn" as const } : { ...e, scope: e.scope ?? ("fn" as const) }))
    .filter((e) => e.limit > 0)
    .map((e, i) => {
      if (e.scope !== "fn" && !e.key) throw new ConfigError(`function "${slug}": concurrency[${i}] with scope ${e.scope} needs a key`);
      return { limit: e.limit, scope: e.scope, key: expr(slug, `concurrency[${i}].key`, e.key) };
    });

  if (c.batchEvents && (c.debounce || c.cancel?.length || c.singleton || c.priority?.run)) {
    throw new ConfigError(`function "${slug}": batchEvents cannot be combined with debounce, cancelOn, singleton or priority`);
  }
  if (c.debounce && c.batchEvents) throw new ConfigError(`function "${slug}": debounce cannot be combined with batchEvents`);

  const def: FnDef = {
    slug,
    appId,
    name: c.name || slug,
    url: step.runtime.url,
    config: c,
    paused: false,
    archived: false,
    maxAttempts: (step.retries?.attempts ?? DEFAULT_RETRIES) + 1,
    triggers,
    concurrency,
    priorityExpr: expr(slug, "priority.run", c.priority?.run),
    cancel: (c.cancel ?? []).map((x, i) => ({
      event: x.event,
      if: expr(slug, `cancel[${i}].if`, x.if),
      timeoutMs: x.timeout === undefined ? YEAR_MS : duration(slug, `cancel[${i}].timeout`, x.timeout, 0, MAX_WAIT_MS),
    })),
    timeouts: {
      startMs: c.timeouts?.start === undefined ? undefined : duration(slug, "timeouts.start", c.timeouts.start, 1, MAX_WAIT_MS),
      finishMs: c.timeouts?.finish === undefined ? undefined : duration(slug, "timeouts.finish", c.timeouts.finish, 1, MAX_WAIT_MS),
    },
  };
  if (c.throttle) {
    def.throttle = {
      limit: c.throttle.limit,
      periodMs: duration(slug, "throttle.period", c.throttle.period, 1000, 7 * 86_400_000),
      burst: Math.max(c.throttle.burst ?? 1, 1),
      key: expr(slug, "throttle.key", c.throttle.key),
    };
  }
  if (c.rateLimit) {
    def.rateLimit = {
      limit: c.rateLimit.limit,
      periodMs: duration(slug, "rateLimit.period", c.rateLimit.period, 1000, 86_400_000),
      key: expr(slug, "rateLimit.key", c.rateLimit.key),
    };
  }
  if (c.idempotency) def.idempotency = expr(slug, "idempotency", c.idempotency);
  if (c.debounce) {
    def.debounce = {
      periodMs: duration(slug, "debounce.period", c.debounce.period, 1000, 7 * 86_400_000),
      key: expr(slug, "debounce.key", c.debounce.key),
      timeoutMs: c.debounce.timeout === undefined ? undefined : duration(slug, "debounce.timeout", c.debounce.timeout, 1000, MAX_WAIT_MS),
    };
  }
  if (c.batchEvents) {
    def.batch = {
      maxSize: c.batchEvents.maxSize,
      timeoutMs: duration(slug, "batchEvents.timeout", c.batchEvents.timeout, 1000, 86_400_000),
      key: expr(slug, "batchEvents.key", c.batchEvents.key),
      if: expr(slug, "batchEvents.if", c.batchEvents.if),
    };
  }
  if (c.singleton) def.singleton = { mode: c.singleton.mode, key: expr(slug, "singleton.key", c.singleton.key) };
  return def;
}

/** Functions in memory, indexed for trigger matching. */
export class Registry {
  private readonly fns = new Map<string, FnDef>();
  private byEvent = new Map<string, FnDef[]>();
  private wildcards: FnDef[] = [];

  get(slug: string): FnDef | undefined {
    return this.fns.get(slug);
  }
  all(): FnDef[] {
    return [...this.fns.values()];
  }
  set(def: FnDef): void {
    this.fns.set(def.slug, def);
    this.reindex();
  }
  setMany(defs: FnDef[]): void {
    for (const d of defs) this.fns.set(d.slug, d);
    this.reindex();
  }

  /** Functions whose event triggers match this name (expressions are checked by the caller). */
  matching(name: string): FnDef[] {
    const exact = this.byEvent.get(name) ?? [];
    if (!this.wildcards.length) return exact;
    const wild = this.wildcards.filter((f) => f.triggers.some((t) => t.pattern?.test(name)));
    return wild.length ? [...new Set([...exact, ...wild])] : exact;
  }

  private reindex(): void {
    const byEvent = new Map<string, FnDef[]>();
    const wild: FnDef[] = [];
    for (const f of this.fns.values()) {
      if (f.archived) continue;
      for (const t of f.triggers) {
        if (!t.event) continue;
        if (t.pattern) {
          if (!wild.includes(f)) wild.push(f);
          continue;
        }
        const list = byEvent.get(t.event) ?? [];
        if (!list.includes(f)) list.push(f);
        byEvent.set(t.event, list);
      }
    }
    this.byEvent = byEvent;
    this.wildcards = wild;
  }
}
