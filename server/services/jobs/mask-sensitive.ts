import { jobContracts, sensitiveKeys } from "@/jobs";
import { roleIn, type Scope } from "../../identity";

/** What a viewer sees in place of a sensitive value. */
export const MASKED = "••••••";

const byType = new Map(jobContracts.map((c) => [c.type, sensitiveKeys(c.payload)]));
const byEvent = new Map(jobContracts.map((c) => [c.eventName as string, sensitiveKeys(c.payload)]));

function masked(value: unknown, keys: string[] | undefined): unknown {
  if (!keys?.length || !value || typeof value !== "object" || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of keys) if (key in out) out[key] = MASKED;
  return out;
}

/**
 * A job's payload as the caller may see it: the fields its job type marks sensitive (jobs/fields.ts `sensitive`)
 * are masked for a viewer; members and admins see them as given.
 */
export const payloadFor = (scope: Scope, type: string, payload: unknown): unknown =>
  roleIn(scope) === "viewer" ? masked(payload, byType.get(type)) : payload;

/** An event's data likewise, when the event is a job type's start event (it carries the payload's fields). */
export const eventDataFor = (scope: Scope, name: string, data: unknown): unknown =>
  roleIn(scope) === "viewer" ? masked(data, byEvent.get(name)) : data;

/** Whether the caller sees masked values (a raw text preview of such an event is then withheld). */
export const masksFor = (scope: Scope, eventName: string): boolean => roleIn(scope) === "viewer" && Boolean(byEvent.get(eventName)?.length);
