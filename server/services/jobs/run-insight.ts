import { db } from "../../db";
import type { Scope } from "../../identity";
import { inngestApi } from "../system/inngest-target";
import { findScopedJob } from "./find-job";
import { describeFate, startEventFate } from "./start-event-fate";

export interface RunInsight {
  runId: string | null;
  /** The run's status according to Inngest, when it could be asked. */
  runStatus: string | null;
  /** "Why is it waiting": e.g. "waiting for event approval/decision.made …", "waiting for a slot: org_a runs 10 of its 10". */
  waiting: string[];
  /** While its first request waits: "starts in about 40 s — 3rd of your organization's jobs in line; …". */
  predictedStart?: string | null;
  /** Why Inngest could not be asked (not reachable, or an API that does not explain waits). */
  unavailable?: string;
}

/** Asks Inngest about the job's current run; the embedded engine also explains what the run is waiting for. */
export async function runInsight(scope: Scope, id: string): Promise<RunInsight> {
  const job = await findScopedJob(db(), scope, id);
  if (!job.runId) {
    if (job.status !== "QUEUED") return { runId: null, runStatus: null, waiting: [] };
    const fate = await startEventFate(job);
    return {
      runId: fate.kind === "run" ? fate.runId : null,
      runStatus: fate.kind === "run" ? fate.status : null,
      waiting: [yourWords(describeFate(fate), scope.orgId)],
      predictedStart: fate.kind === "run" ? yourWords(await predictedStart(fate.runId), scope.orgId) : null,
    };
  }
  try {
    const res = await inngestApi(`/v1/runs/${encodeURIComponent(job.runId)}`, { timeoutMs: 3_000 });
    if (!res.ok) return { runId: job.runId, runStatus: null, waiting: [], unavailable: `Inngest answered ${res.status}` };
    const body = (await res.json()) as {
      data?: { status?: string; waiting?: { reasons?: string[] } | null; predicted_start?: { text?: string } | null };
    };
    const runStatus = body.data?.status ?? null;
    // Only the embedded engine explains waits; Inngest's own run API has no `waiting` field at all.
    if (body.data?.waiting === undefined)
      return { runId: job.runId, runStatus, waiting: [], unavailable: "this Inngest does not say what runs wait for" };
    const running = await openStep(job.id, job.runId);
    return {
      runId: job.runId,
      runStatus,
      waiting: (body.data.waiting?.reasons ?? []).map((w) => namedStep(yourWords(w, scope.orgId), running)),
      predictedStart: yourWords(body.data.predicted_start?.text ?? null, scope.orgId),
    };
  } catch (err) {
    return { runId: job.runId, runStatus: null, waiting: [], unavailable: (err as Error).message };
  }
}

/** The step of the run the app saw start and not end yet (its request is the one in flight). */
async function openStep(jobId: string, runId: string): Promise<{ name: string; attempt: number } | null> {
  return db().jobStep.findFirst({
    where: { jobId, runId, status: "RUNNING", kind: "RUN" },
    orderBy: { startedAt: "desc" },
    select: { name: true, attempt: true },
  });
}

/**
 * The engine sees a request in flight ("running: the next request"), not which step the SDK runs in it: the app
 * does (the step opened by its job tracking), so the reason names it.
 */
function namedStep(reason: string, step: { name: string; attempt: number } | null): string {
  if (!step || !/^running: the (first|next) request$/.test(reason)) return reason;
  return `running: step ${step.name}${step.attempt > 0 ? ` (try ${step.attempt + 1})` : ""}`;
}

/** The engine's predicted start of a queued run (Inngest's API has none: then null). */
async function predictedStart(runId: string): Promise<string | null> {
  try {
    const res = await inngestApi(`/v1/runs/${encodeURIComponent(runId)}`, { timeoutMs: 3_000 });
    if (!res.ok) return null;
    const body = (await res.json()) as { data?: { predicted_start?: { text?: string } | null } };
    return body.data?.predicted_start?.text ?? null;
  } catch {
    return null;
  }
}

/**
 * The engine names a tenant by its key's value ("waiting for a slot: org_a runs 10 of its 10"); to the tenant itself
 * that is "your organization".
 */
function yourWords<T extends string | null>(text: T, orgId: string): T {
  return (text === null ? text : text.split(orgId).join("your organization")) as T;
}
