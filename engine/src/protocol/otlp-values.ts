import { truncateText } from "@jobdeck/safe-json";
import { BadRequestError } from "../errors.js";

/**
 * OTLP/JSON attribute values (`AnyValue`: stringValue, intValue, doubleValue, boolValue, arrayValue, kvlistValue,
 * bytesValue) as plain JSON, bounded: what an app sends is kept for the run's view and the export, so one span cannot
 * make a run's view megabytes long. A value of the wrong type is the request's fault (400, as protojson refuses it);
 * a value too large is cut, not refused, so a chatty instrumentation still has its spans kept.
 */

export const ATTRIBUTE_LIMITS = {
  /** Attributes kept per span (or per span event); the rest are dropped. */
  perSpan: 128,
  keyChars: 256,
  stringChars: 4096,
  arrayItems: 128,
  /** kvlist/array nesting kept; deeper values become null. */
  depth: 4,
  /** Characters of strings and keys kept per span, its events' attributes included. */
  budgetChars: 32 * 1024,
};

/** The characters a span's attributes may still use; shared by its attributes and its events'. */
export interface Budget {
  left: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function fail(path: string, what: string): never {
  throw new BadRequestError(`${path}: ${what}`);
}

function bounded(s: string, max: number, budget: Budget): string {
  const kept = truncateText(s, Math.max(0, Math.min(max, budget.left)));
  budget.left -= kept.length;
  return kept;
}

/** An int64 as protojson writes it (a decimal string) or as a JSON number: a number when it fits, else the string. */
function intOf(v: unknown, path: string): number | string {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^-?\d{1,19}$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : v;
  }
  return fail(path, "intValue must be an integer (a JSON number or a decimal string)");
}

function doubleOf(v: unknown, path: string): number | string {
  if (typeof v === "number") return v;
  // protojson writes the non-finite doubles as strings.
  if (v === "NaN" || v === "Infinity" || v === "-Infinity") return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return fail(path, "doubleValue must be a number");
}

function listOf(v: unknown, field: string, path: string): unknown[] {
  if (!isObject(v)) return fail(path, `${field} must be an object with a values array`);
  if (v.values === undefined) return [];
  if (!Array.isArray(v.values)) return fail(`${path}.values`, "must be an array");
  return v.values;
}

/** One `AnyValue` as JSON. */
export function anyValue(v: unknown, path: string, budget: Budget, depth = 0): unknown {
  if (!isObject(v)) return fail(path, "an attribute value must be an AnyValue object ({stringValue: …}, {intValue: …}, …)");
  if ("stringValue" in v) {
    if (typeof v.stringValue !== "string") return fail(`${path}.stringValue`, "must be a string");
    return bounded(v.stringValue, ATTRIBUTE_LIMITS.stringChars, budget);
  }
  if ("boolValue" in v) {
    if (typeof v.boolValue !== "boolean") return fail(`${path}.boolValue`, "must be a boolean");
    return v.boolValue;
  }
  if ("intValue" in v) return intOf(v.intValue, `${path}.intValue`);
  if ("doubleValue" in v) return doubleOf(v.doubleValue, `${path}.doubleValue`);
  if ("bytesValue" in v) {
    if (typeof v.bytesValue !== "string") return fail(`${path}.bytesValue`, "must be a base64 string");
    return bounded(v.bytesValue, ATTRIBUTE_LIMITS.stringChars, budget);
  }
  if ("arrayValue" in v) {
    const items = listOf(v.arrayValue, "arrayValue", `${path}.arrayValue`);
    if (depth >= ATTRIBUTE_LIMITS.depth) return null;
    return items
      .slice(0, ATTRIBUTE_LIMITS.arrayItems)
      .map((item, i) => anyValue(item, `${path}.arrayValue.values[${i}]`, budget, depth + 1));
  }
  if ("kvlistValue" in v) {
    const pairs = listOf(v.kvlistValue, "kvlistValue", `${path}.kvlistValue`);
    if (depth >= ATTRIBUTE_LIMITS.depth) return null;
    return keyValues(pairs, `${path}.kvlistValue.values`, budget, depth + 1);
  }
  return null; // an empty AnyValue is allowed: no value
}

/**
 * A `KeyValue[]` list as an object. Keys are bounded, later duplicates win, and the object is built with
 * Object.fromEntries so a key such as "__proto__" stays an ordinary property.
 */
export function keyValues(list: unknown, path: string, budget: Budget, depth = 0, skip?: ReadonlySet<string>): Record<string, unknown> {
  if (list === undefined || list === null) return {};
  if (!Array.isArray(list)) return fail(path, "must be an array of {key, value}");
  const out = new Map<string, unknown>();
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    const at = `${path}[${i}]`;
    if (!isObject(kv) || typeof kv.key !== "string") return fail(at, "must be an object {key: string, value: AnyValue}");
    if (skip?.has(kv.key) || budget.left <= 0 || (out.size >= ATTRIBUTE_LIMITS.perSpan && !out.has(kv.key))) continue;
    const key = bounded(kv.key, ATTRIBUTE_LIMITS.keyChars, budget);
    out.set(key, kv.value === undefined ? null : anyValue(kv.value, `${at}.value`, budget, depth));
  }
  return Object.fromEntries(out);
}

/** The string value of attribute `key` in a raw `KeyValue[]` list, unbounded (ids the engine links spans by). */
export function rawAttribute(list: unknown, key: string): unknown {
  if (!Array.isArray(list)) return undefined;
  let found: unknown;
  for (const kv of list) {
    if (!isObject(kv) || kv.key !== key || !isObject(kv.value)) continue;
    const v = kv.value;
    found = v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue;
  }
  return found;
}
