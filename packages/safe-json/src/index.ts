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

/** The first thing in `value` that cannot be stored: where it is (`path.to.field`, `list[3]`) and why. */
export function jsonIssue(value: unknown, path: string, depth = 0): { path: string; message: string } | undefined {
  if (typeof value === "string") {
    const why = badString(value);
    return why ? { path, message: why } : undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  if (depth >= MAX_JSON_DEPTH) return { path, message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const issue = jsonIssue(value[i], `${path}[${i}]`, depth + 1);
      if (issue) return issue;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const why = badString(k);
    if (why) return { path, message: `a key ${why}` };
    const issue = jsonIssue(v, path ? `${path}.${k}` : k, depth + 1);
    if (issue) return issue;
  }
  return undefined;
}

/** The same as one line, "<path>: <reason>", or undefined when `value` can be stored as is. */
export function jsonProblem(value: unknown, path: string): string | undefined {
  const issue = jsonIssue(value, path);
  return issue ? `${issue.path}: ${issue.message}` : undefined;
}

/** `text` cut to at most `max` UTF-16 units without splitting a surrogate pair (an emoji) in two. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
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
