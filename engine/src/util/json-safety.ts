/**
 * What PostgreSQL's jsonb cannot hold, found before it reaches the journal: a NUL character (\u0000) and an
 * unpaired UTF-16 surrogate (half of an emoji) in any string or key, and nesting deeper than a document needs.
 * Each would make the database refuse the whole batch it travels in.
 */
export const MAX_JSON_DEPTH = 100;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function badString(s: string): string | undefined {
  if (s.includes("\u0000")) return "contains a NUL character (\\u0000), which cannot be stored";
  if (LONE_SURROGATE.test(s)) return "contains an unpaired UTF-16 surrogate (invalid Unicode, e.g. half of an emoji)";
  return undefined;
}

/** The first problem in `value` as "<path>: <reason>", or undefined when it can be stored as is. */
export function jsonProblem(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === "string") {
    const why = badString(value);
    return why ? `${path}: ${why}` : undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  if (depth >= MAX_JSON_DEPTH) return `${path}: nested deeper than ${MAX_JSON_DEPTH} levels`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = jsonProblem(value[i], `${path}[${i}]`, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const why = badString(k);
    if (why) return `${path}: a key ${why}`;
    const p = jsonProblem(v, `${path}.${k}`, depth + 1);
    if (p) return p;
  }
  return undefined;
}

/**
 * JSON text for a jsonb parameter, storable whatever it holds: undefined becomes null, and \u0000 and unpaired
 * surrogates (which only output of user code can still carry here: inputs are refused at the door) become U+FFFD.
 */
export function storableJson(v: unknown): string {
  return JSON.stringify(v ?? null).replace(
    /(^|[^\\])((?:\\\\)*)\\u(0000|d[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2})d[c-f][0-9a-f]{2})/gi,
    "$1$2\\ufffd",
  );
}
