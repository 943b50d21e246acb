import { z } from "zod";
import { approvalDecisionMade, jobCancelRequested } from "@/jobs";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { eventDataFor } from "../jobs/mask-sensitive";
import { parseInput } from "../validate";
import { v1 } from "./inngest-admin";

/** An event as the events list shows it: no data, its size instead (one event's data is read on its own). */
export interface EventSummary {
  internal_id: string;
  id: string;
  name: string;
  received_at: string;
  /** Size of its data as JSON, in bytes. */
  bytes: number;
  runs: Array<{ run_id: string; function_id: string; status: string }>;
  /** Why it started no run (the embedded engine says; Inngest's API has no such field). */
  no_run_reason?: string | null;
  /** The job it starts, cancels or decides, when it is one of the job service's events. */
  job_id: string | null;
  /** What an internal event (Inngest's, the job service's follow-ups) is for; it starts no run by design. */
  internal: string | null;
}

/** One event with its data, cut to a preview when large. */
export interface EventDetail extends EventSummary {
  data: Record<string, unknown> | null;
  /** The data's JSON text cut at PREVIEW_BYTES, when the data is larger (then `data` is null). */
  preview: string | null;
}

/** How much of an event's data the console is sent: a 3 MB event is shown as its first 64 KB. */
export const PREVIEW_BYTES = 64 * 1024;

interface RawEvent {
  internal_id: string;
  id: string;
  name: string;
  received_at: string;
  data?: Record<string, unknown>;
  data_bytes?: number;
  tenant?: string | null;
  runs?: EventSummary["runs"];
  no_run_reason?: string | null;
}

/** What an internal event does instead of starting a run (null for any other event). */
export function internalEventRole(name: string): string | null {
  if (name === jobCancelRequested.name) return "internal: asks its job's run to stop (the job functions' cancelOn)";
  if (name === approvalDecisionMade.name) return "internal: resumes the approval run waiting for this decision";
  if (name.startsWith("inngest/")) return "internal: Inngest's own event (failures, cancellations, schedules, invokes)";
  if (name.startsWith("jobdeck/")) return "internal: sent by the job service";
  return null;
}

/** The job service's event ids name their job: `jobdeck-<job id>-start-1`. */
const jobIdOf = (id: string) => /^jobdeck-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-/.exec(id)?.[1] ?? null;

function summary(e: RawEvent): EventSummary {
  return {
    internal_id: e.internal_id,
    id: e.id,
    name: e.name,
    received_at: e.received_at,
    bytes: e.data_bytes ?? Buffer.byteLength(JSON.stringify(e.data ?? {})),
    runs: e.runs ?? [],
    no_run_reason: e.no_run_reason ?? null,
    job_id: jobIdOf(e.id) ?? (typeof e.data?.jobId === "string" ? e.data.jobId : null),
    internal: internalEventRole(e.name),
  };
}

const when = z.coerce.date().min(new Date(0), "must be a date from 1970 on").max(new Date("9999-12-31T23:59:59Z"), "must be before 10000");

/** The events list's filter: an exact name, a window of receipt times (both ends included), how many. */
export const listEventsInput = z
  .object({
    name: z.string().trim().max(200, "name: at most 200 characters").optional(),
    from: when.optional(),
    to: when.optional(),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: "from must not be after to", path: ["from"] });
export type ListEventsInput = z.input<typeof listEventsInput>;

/**
 * The caller's organization's recent events, newest first (an operator's: everyone's), by name and time when asked.
 * The embedded engine filters by tenant and leaves the data out at the source (`tenant`, `summary`), so the page costs
 * the same whatever other organizations send; another Inngest answers without knowing those parameters, and its page
 * is filtered here.
 */
export async function listEvents(scope: Scope, operator: boolean, raw: ListEventsInput | number = {}): Promise<EventSummary[]> {
  const f = parseInput(listEventsInput, typeof raw === "number" ? { limit: raw } : raw);
  const n = f.limit;
  const query = new URLSearchParams({ limit: String(n), summary: "true" });
  if (f.name) query.set("name", f.name);
  if (f.from) query.set("received_after", f.from.toISOString());
  if (f.to) query.set("received_before", f.to.toISOString());
  if (!operator) query.set("tenant", scope.orgId);
  const page = await v1<RawEvent[]>(`/v1/events?${query}`);
  const atSource = page.every((e) => e.data === undefined);
  if (operator || atSource) return page.slice(0, n).map(summary);
  // An Inngest that neither filters by tenant nor leaves the data out: a wider page, filtered here.
  query.delete("summary");
  query.set("limit", "200");
  const wide = await v1<RawEvent[]>(`/v1/events?${query}`);
  return wide
    .filter((e) => e.data?.orgId === scope.orgId)
    .slice(0, n)
    .map(summary);
}

/** One event of the caller's organization (an operator's: any), its data cut to a preview past 64 KB; else 404. */
export async function getEvent(scope: Scope, operator: boolean, id: string): Promise<EventDetail> {
  if (!/^[\w.:-]{1,200}$/.test(id)) throw new AppError("NOT_FOUND", `no event "${id.slice(0, 64)}"`);
  const e = await v1<RawEvent>(`/v1/events/${encodeURIComponent(id)}`).catch((err: unknown) => {
    if (err instanceof AppError && /answered 404/.test(err.message)) throw new AppError("NOT_FOUND", `no event ${id}`);
    throw err;
  });
  const tenant = e.tenant ?? (typeof e.data?.orgId === "string" ? e.data.orgId : null);
  if (!operator && tenant !== scope.orgId) throw new AppError("NOT_FOUND", `no event ${id} in your organization`);
  const data = eventDataFor(scope, e.name, e.data ?? {});
  const text = JSON.stringify(data);
  const big = Buffer.byteLength(text) > PREVIEW_BYTES;
  return { ...summary(e), data: big ? null : (data as Record<string, unknown>), preview: big ? text.slice(0, PREVIEW_BYTES) : null };
}
