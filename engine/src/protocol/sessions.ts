/**
 * Event sessions (`event.meta`), resolved the way Inngest resolves them at ingest (inngest/inngest at 253303c,
 * pkg/event/sessions.go ResolveSessions): an event carries two layers, the sender's own `meta.sessions` and the
 * `meta.propagated_sessions` the SDK stamps from the sending run's `ctx.sessions`. They are merged once, here:
 * manual keys win and are never evicted, a manual `null` value cuts that inherited key, a manual `sessions: null`
 * cuts them all, and free slots up to five are filled from the inherited layer in UTF-8 byte order of the key.
 * Only the merged `meta.sessions` is stored and handed to functions (where the SDK builds `ctx.sessions`).
 */

export const MAX_EVENT_SESSIONS = 5;
const MAX_SESSION_KEY_BYTES = 128;
const MAX_SESSION_ID_BYTES = 512;

export type Sessions = Record<string, string>;
export interface EventMeta {
  sessions: Sessions;
}

/** A problem with an event's meta, phrased for the sender (the caller prefixes where it is). */
export class SessionsError extends Error {}

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** One layer's entries as strings; `null` values are tombstones, allowed only in the manual layer. */
function parseLayer(raw: unknown, field: string, manual: boolean): { sessions: Map<string, string>; tombstones: Set<string> } {
  const sessions = new Map<string, string>();
  const tombstones = new Set<string>();
  if (raw === undefined || raw === null) return { sessions, tombstones };
  if (!isPlainObject(raw)) throw new SessionsError(`${field}: must be an object of session key → id`);
  for (const [key, value] of Object.entries(raw)) {
    if (value === null && manual) tombstones.add(key);
    else if (typeof value === "string") sessions.set(key, value);
    else if (typeof value === "number" && Number.isFinite(value)) sessions.set(key, String(value));
    else throw new SessionsError(`${field}.${key}: must be a string or number${manual ? ", or null to drop an inherited session" : ""}`);
  }
  return { sessions, tombstones };
}

const utf8 = new TextEncoder();
/** Go's string order (bytes of UTF-8), so the same inherited keys survive truncation here and on Inngest. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(utf8.encode(a)), Buffer.from(utf8.encode(b)));
}

function checkMerged(sessions: Map<string, string>, field: string): void {
  if (sessions.size > MAX_EVENT_SESSIONS) throw new SessionsError(`${field}: at most ${MAX_EVENT_SESSIONS} sessions per event`);
  for (const [key, id] of sessions) {
    if (key === "") throw new SessionsError(`${field}: session keys cannot be empty`);
    if (Buffer.byteLength(key) > MAX_SESSION_KEY_BYTES)
      throw new SessionsError(`${field}: session key "${key.slice(0, 40)}" is longer than ${MAX_SESSION_KEY_BYTES} bytes`);
    if (id === "") throw new SessionsError(`${field}.${key}: the session id cannot be empty`);
    if (Buffer.byteLength(id) > MAX_SESSION_ID_BYTES)
      throw new SessionsError(`${field}.${key}: the session id is longer than ${MAX_SESSION_ID_BYTES} bytes`);
  }
}

/**
 * Merges and checks an inbound event's `meta` (`at` names the event in messages). Undefined when no session is
 * left, so the event carries no `meta` at all, as on Inngest. Other fields of `meta` are not kept (Inngest's
 * EventMeta has only the two session layers).
 */
export function resolveEventMeta(meta: unknown, at: string): EventMeta | undefined {
  if (meta === undefined || meta === null) return undefined;
  if (!isPlainObject(meta)) throw new SessionsError(`${at}.meta: must be an object`);
  const manual = parseLayer(meta.sessions, `${at}.meta.sessions`, true);
  const inherited = parseLayer(meta.propagated_sessions, `${at}.meta.propagated_sessions`, false).sessions;
  const clearAll = meta.sessions === null;
  const merged = new Map(manual.sessions);
  if (!clearAll) {
    const candidates = [...inherited.keys()].filter((k) => !manual.tombstones.has(k) && !merged.has(k)).sort(compareUtf8);
    for (const key of candidates) {
      if (merged.size >= MAX_EVENT_SESSIONS) break;
      merged.set(key, inherited.get(key) as string);
    }
  }
  checkMerged(merged, `${at}.meta.sessions`);
  if (merged.size === 0) return undefined;
  return { sessions: Object.fromEntries(merged) };
}
