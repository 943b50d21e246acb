import { Environment } from "@marcbachmann/cel-js";

/**
 * CEL as Inngest evaluates it (pkg/expressions): vars `event`, `async`, `vars`; missing keys read as null;
 * int/double mix freely; JSON numbers are doubles. Built on @marcbachmann/cel-js with shims:
 * - evaluation is strict first (so `has()` and `in` stay exact); if that throws "No such key", it is retried with
 *   objects whose missing keys read as null, which is Inngest's loosening;
 * - mixed int/double arithmetic and string concatenation with numbers get operator overloads;
 * - BigInt results become numbers;
 * - `now()`, `now_plus()` and `now_minus()` read the time the caller evaluates at (the engine's clock), not the
 *   machine's, so a test that moves the engine's clock moves them too.
 */
const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });

const num = (v: unknown): number => Number(v);
for (const op of ["+", "-", "*", "/"] as const) {
  const f =
    op === "+"
      ? (a: unknown, b: unknown) => num(a) + num(b)
      : op === "-"
        ? (a: unknown, b: unknown) => num(a) - num(b)
        : op === "*"
          ? (a: unknown, b: unknown) => num(a) * num(b)
          : (a: unknown, b: unknown) => num(a) / num(b);
  env.registerOperator(`double ${op} int`, f);
  env.registerOperator(`int ${op} double`, f);
}
env.registerOperator("string + double", (a: unknown, b: unknown) => `${a}${b}`);
env.registerOperator("string + int", (a: unknown, b: unknown) => `${a}${b}`);
env.registerOperator("double + string", (a: unknown, b: unknown) => `${a}${b}`);
env.registerOperator("int + string", (a: unknown, b: unknown) => `${a}${b}`);
env.registerFunction("lowercase(string): string", (s: string) => s.toLowerCase());
env.registerFunction("uppercase(string): string", (s: string) => s.toUpperCase());
env.registerFunction("now(): int", () => BigInt(evaluationTime()) * 1_000_000n);
env.registerFunction("now_plus(string): int", (d: string) => BigInt(evaluationTime() + parseGoDuration(d)) * 1_000_000n);
env.registerFunction("now_minus(string): int", (d: string) => BigInt(evaluationTime() - parseGoDuration(d)) * 1_000_000n);
env.registerFunction("date(string): int", (s: string) => BigInt(Date.parse(s)) * 1_000_000n);

/**
 * The time of the evaluation under way (epoch ms), set by `run` around it. Evaluation is synchronous, so one slot is
 * enough, and no evaluation sees another's time.
 */
let evaluatingAt: number | undefined;

function evaluationTime(): number {
  if (evaluatingAt === undefined) throw new Error("now() outside an evaluation");
  return evaluatingAt;
}

/** Runs a compiled expression at `now`: what its now() functions return. */
function run(fn: Compiled, vars: Record<string, unknown>, now: number): unknown {
  const outer = evaluatingAt;
  evaluatingAt = now;
  try {
    return fn(vars);
  } finally {
    evaluatingAt = outer;
  }
}

function parseGoDuration(d: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`invalid duration ${d}`);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
  return Number(m[1]) * mult;
}

type Compiled = (ctx: Record<string, unknown>) => unknown;
const cache = new Map<string, Compiled>();
const MAX_CACHE = 5000;

export class ExpressionError extends Error {}

/** Parses (and caches) an expression; throws ExpressionError with the parser's message when invalid. */
export function compile(expression: string): Compiled {
  let fn = cache.get(expression);
  if (fn) return fn;
  try {
    fn = env.parse(expression) as unknown as Compiled;
  } catch (err) {
    throw new ExpressionError(`invalid expression ${JSON.stringify(expression)}: ${firstLine(err)}`);
  }
  if (cache.size >= MAX_CACHE) cache.clear();
  cache.set(expression, fn);
  return fn;
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split("\n")[0] ?? "";
}

/** Wraps plain objects so that missing keys read as null (Inngest's "unknowns are null"). */
function loose(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(loose);
  const target = value as Record<string | symbol, unknown>;
  return new Proxy(target, {
    get(t, key) {
      if (typeof key === "symbol") return t[key];
      if (Object.hasOwn(t, key)) return loose(t[key]);
      return key in t ? t[key] : null;
    },
    has: () => true,
    getOwnPropertyDescriptor(t, key) {
      return Object.getOwnPropertyDescriptor(t, key) ?? { value: null, writable: true, enumerable: false, configurable: true };
    },
  });
}

function normalize(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, normalize(x)]));
  return v;
}

/**
 * Evaluates an expression at `now` (the engine's clock: what now() answers); unknown keys are null. Throws
 * ExpressionError if it cannot be evaluated.
 */
export function evaluate(expression: string, vars: Record<string, unknown>, now: number): unknown {
  const fn = compile(expression);
  try {
    return normalize(run(fn, vars, now));
  } catch (err) {
    if (!/No such key/.test(firstLine(err))) throw new ExpressionError(firstLine(err));
  }
  const looseVars: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) looseVars[k] = loose(v);
  try {
    return normalize(run(fn, looseVars, now));
  } catch (err) {
    throw new ExpressionError(firstLine(err));
  }
}

/** A predicate: anything but `true` (including an evaluation error) is false, as in Inngest trigger matching. */
export function test(expression: string, vars: Record<string, unknown>, now: number): boolean {
  try {
    return evaluate(expression, vars, now) === true;
  } catch {
    return false;
  }
}

/** A key expression rendered like Go's %v: strings as-is, everything else as JSON. */
export function evaluateKey(expression: string, vars: Record<string, unknown>, now: number): string {
  let v: unknown;
  try {
    v = evaluate(expression, vars, now);
  } catch {
    v = null;
  }
  if (typeof v === "string") return v;
  return v === undefined ? "null" : JSON.stringify(v);
}
