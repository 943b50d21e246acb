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
  // The escape must start a run of backslashes (a lookbehind, not a consumed character, so that two escapes in a
  // row are both found: consuming the character before the first made the second one's context disappear).
  return JSON.stringify(v ?? null).replace(
    /(?<!\\)((?:\\\\)*)\\u(0000|d[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2})d[c-f][0-9a-f]{2})/gi,
    "$1\\ufffd",
  );
}

/*
 * Exact storage: what jsonb cannot hold, escaped on the way in and restored on the way out, so a step output holding a
 * NUL or half an emoji comes back as it was sent (storableJson above replaces them, which loses them).
 *
 * A string that holds a NUL or an unpaired surrogate, or starts with U+FFFF, is stored as U+FFFF followed by the
 * string with U+FFFF written as U+FFFF U+FFFF, NUL as U+FFFF "0" and an unpaired surrogate as U+FFFF "u" and its four
 * hex digits. U+FFFF is a noncharacter (Unicode keeps it for a program's internal use), jsonb and text hold it, and
 * every other string (nearly all of them) is stored unchanged, so SQL comparisons and text search still see it.
 */
const ESCAPE = "\uffff";
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the two things jsonb cannot hold.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the two things jsonb cannot hold.
const TO_ESCAPE = /\u0000|\uffff|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ESCAPED = /\uffff(?:(\uffff)|(0)|u([0-9a-f]{4}))/g;

function escapeChar(c: string): string {
  if (c === "\u0000") return `${ESCAPE}0`;
  if (c === ESCAPE) return ESCAPE + ESCAPE;
  return `${ESCAPE}u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** `s` as it is stored: unchanged unless it holds what jsonb cannot (or starts with the escape character). */
export function storableString(s: string): string {
  if (!s.startsWith(ESCAPE) && !UNSTORABLE.test(s)) return s;
  return ESCAPE + s.replace(TO_ESCAPE, escapeChar);
}

/**
 * The string `storableString` stored as `s`. Only an exact encoding is decoded: any other string (one written by
 * something else that happens to start with U+FFFF) is returned as it is.
 */
export function restoredString(s: string): string {
  if (s.charCodeAt(0) !== 0xffff) return s;
  const body = s.slice(1);
  const decoded = body.replace(ESCAPED, (_m, esc?: string, nul?: string, hex?: string) =>
    esc ? ESCAPE : nul ? "\u0000" : String.fromCharCode(Number.parseInt(hex as string, 16)),
  );
  return storableString(decoded) === s ? decoded : s;
}

/** Applies `f` to every string and key in a JSON value, copying only what changes. */
function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === "string") return f(value);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const m = mapStrings(v, f);
      if (m !== v) (out ??= value.slice())[i] = m;
    });
    return out ?? value;
  }
  let changed = false;
  const entries = Object.entries(value).map(([k, v]) => {
    const [mk, mv] = [f(k), mapStrings(v, f)];
    if (mk !== k || mv !== v) changed = true;
    return [mk, mv] as const;
  });
  return changed ? Object.fromEntries(entries) : value;
}

/** JSON.stringify's escapes of what jsonb refuses (NUL, a surrogate), and the raw escape character. */
const MAY_NEED_ESCAPING = /\\u0000|\\ud[89a-f]|\uffff/i;

/**
 * JSON text for a jsonb parameter that keeps every string exactly (undefined becomes null): strings jsonb cannot
 * hold are escaped as `storableString` does. Read it back through `parseStoredJson` or `restoredJson`.
 */
export function storableJsonExact(v: unknown): string {
  const text = JSON.stringify(v ?? null);
  if (!MAY_NEED_ESCAPING.test(text)) return text;
  // Rare: re-read the text (toJSON applied, undefined dropped, as stored) and escape its strings and keys.
  return JSON.stringify(mapStrings(JSON.parse(text), storableString));
}

/** A JSON value read back from jsonb with every string `storableJsonExact` escaped restored. */
export function restoredJson<T>(value: T): T {
  return mapStrings(value, restoredString) as T;
}

/** jsonb text as the database returns it, parsed, with escaped strings restored (the escape character is rare). */
export function parseStoredJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  return text.includes(ESCAPE) ? restoredJson(value) : value;
}
