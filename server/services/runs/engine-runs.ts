import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { inngestApi, inngestTarget } from "../system/inngest-target";

/** A run as the engine's (and Inngest's) `/v1/runs` list shapes it. */
export interface RunSummary {
  run_id: string;
  function_id: string;
  status: string;
  event_id: string | null;
  event_name: string | null;
  created_at: string | null;
  run_started_at: string | null;
  ended_at: string | null;
  output: unknown;
  error: unknown;
  replay_of?: string | null;
  parent_run_id?: string | null;
  cancel_reason?: string | null;
  waiting?: { reason?: string; reasons?: string[] } | null;
}

export interface TraceStep {
  id: string;
  kind: string;
  step_id: string | null;
  name: string | null;
  attempt: number;
  status: string;
  started_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
  output: unknown;
  error: unknown;
  detail: unknown;
}

/** A span the app's code made inside a run (extended traces: its own, pg, fetch), as the embedded engine keeps it. */
export interface TraceSpan {
  span_id: string;
  parent_span_id: string | null;
  /** The step (hash) and attempt it was made in; null outside any step. */
  step_id: string | null;
  attempt: number | null;
  name: string;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  status: "ok" | "error" | "unset";
  status_message?: string | null;
  attributes: Record<string, unknown>;
}

export interface RunDetail extends RunSummary {
  events: Array<{ id?: string; name: string; data?: Record<string, unknown>; ts?: number }>;
  steps: TraceStep[];
  /** Extended traces (the embedded engine; Inngest's API has none). */
  spans?: TraceSpan[];
  invoked?: Array<{ step_id: string | null; name: string | null; run_id: string }>;
  predicted_start?: { text?: string } | null;
}

/** A call to Inngest's run API, its failures as the app's errors (404 stays 404, the rest is "unavailable"). */
export async function runsApi<T>(path: string, init: { method?: "GET" | "POST"; body?: unknown } = {}): Promise<T> {
  let res: Response;
  try {
    res = await inngestApi(path, { ...init, timeoutMs: 10_000 });
  } catch (err) {
    throw new AppError("UNAVAILABLE", `Inngest at ${inngestTarget().url} did not answer: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as { data?: T; error?: string };
  if (res.status === 404) throw new AppError("NOT_FOUND", body.error ?? `Inngest has no ${path}`);
  if (res.status === 400 || res.status === 409)
    throw new AppError(res.status === 400 ? "BAD_REQUEST" : "CONFLICT", body.error ?? "refused");
  if (!res.ok) throw new AppError("UNAVAILABLE", `Inngest answered ${res.status} for ${path}`);
  return body as T;
}

/** The organization a run's triggering event speaks for (the job service and the console put `orgId` in every event). */
export function orgOfRun(run: { events?: Array<{ data?: Record<string, unknown> }> }): string | null {
  const org = run.events?.[0]?.data?.orgId;
  return typeof org === "string" && org ? org : null;
}

/** The job a run works for, when its event names one of the caller's organization's jobs. */
export function jobOfRun(run: { events?: Array<{ name?: string; data?: Record<string, unknown> }> }): string | null {
  const ev = run.events?.[0];
  const id = ev?.data?.jobId;
  return typeof id === "string" && !ev?.name?.startsWith("inngest/") ? id : null;
}

/** One run, or 404 when it is not the caller's: an organization sees the runs its events started; an operator all. */
export async function scopedRun(scope: Scope, operator: boolean, runId: string): Promise<RunDetail> {
  if (!/^[0-9A-Za-z-]{1,64}$/.test(runId)) throw new AppError("NOT_FOUND", `no run "${runId.slice(0, 64)}"`);
  const { data } = await runsApi<{ data: Partial<RunDetail> & RunSummary }>(`/v1/runs/${runId}`);
  // Inngest's own run API answers without the events or the trace: the event comes from its event API, and a run
  // whose organization cannot be told is an operator's to see.
  const run: RunDetail = { ...data, events: data.events ?? (await eventsOf(data.event_id)), steps: data.steps ?? [] };
  if (!operator && orgOfRun(run) !== scope.orgId) throw new AppError("NOT_FOUND", `no run ${runId} in your organization`);
  return run;
}

/** The triggering event by its id, from Inngest's event API (an object, or a list of one); none when it cannot say. */
async function eventsOf(eventId: string | null | undefined): Promise<RunDetail["events"]> {
  if (!eventId || !/^[0-9A-Za-z-]{1,64}$/.test(eventId)) return [];
  try {
    const { data } = await runsApi<{ data: RunDetail["events"][number] | RunDetail["events"] }>(`/v1/events/${eventId}`);
    return (Array.isArray(data) ? data : [data]).filter((e) => e && typeof e === "object" && typeof e.name === "string");
  } catch {
    return [];
  }
}
