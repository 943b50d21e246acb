import { jsonProblem } from "@jobdeck/safe-json";
import { EventValidationError } from "../errors.js";
import { type EventMeta, resolveEventMeta, SessionsError } from "../protocol/sessions.js";

const MAX_EVENTS_PER_REQUEST = 5000;
const MAX_NAME_LENGTH = 512;
/** The last millisecond of the year 9999: later timestamps are not dates any column or API can carry. */
export const MAX_TS = 253_402_300_799_999;

export interface ValidEvent {
  name: string;
  data: Record<string, unknown>;
  id?: string;
  ts?: number;
  user?: Record<string, unknown>;
  v?: string;
  /** The merged sessions (events/sessions.ts), absent when there are none. */
  meta?: EventMeta;
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
    const { name, data, id, ts, user, v, meta } = raw;
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
    const problem =
      jsonProblem({ name, id, v }, at) ??
      jsonProblem(data, `${at}.data`) ??
      jsonProblem(user, `${at}.user`) ??
      jsonProblem(meta, `${at}.meta`);
    if (problem) throw new EventValidationError(problem);
    const sessions = resolveMeta(meta, at);
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
    if (sessions) out.meta = sessions;
    return out;
  });
}

function resolveMeta(meta: unknown, at: string): EventMeta | undefined {
  try {
    return resolveEventMeta(meta, at);
  } catch (e) {
    if (e instanceof SessionsError) throw new EventValidationError(e.message);
    throw e;
  }
}
