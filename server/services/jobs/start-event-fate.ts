import type { Job } from "@/generated/prisma/client";
import { jobFunctionId } from "@/jobs";
import { db } from "../../db";
import { inngestApi } from "../system/inngest-target";

/**
 * What became of a QUEUED job's start event, for "why has it not started" and for the sweep that sends it again:
 *  - "unsent": still in the outbox (Inngest did not take it yet);
 *  - "run": Inngest made a run of it (it waits for its turn, a free slot, or its function to resume);
 *  - "paused": no run, and the job's function is paused (Inngest Cloud and the Dev Server drop such events);
 *  - "none": Inngest has the event and says it started no run;
 *  - "unknown": Inngest could not be asked, or cannot say (no such API).
 */
export type StartEventFate =
  | { kind: "unsent"; attempts: number; lastError: string | null; nextAttemptAt: Date }
  | { kind: "run"; runId: string; status: string | null; waiting: string[] }
  | { kind: "paused"; functionId: string }
  | { kind: "none"; functionId: string; reason?: string }
  | { kind: "unknown"; reason: string };

async function getJson<T>(path: string): Promise<{ status: number; body?: T }> {
  const res = await inngestApi(path, { timeoutMs: 3_000 });
  if (!res.ok) {
    await res.body?.cancel();
    return { status: res.status };
  }
  return { status: res.status, body: (await res.json()) as T };
}

export async function startEventFate(job: Pick<Job, "id" | "type" | "eventId">): Promise<StartEventFate> {
  if (!job.eventId) return { kind: "unknown", reason: "the job has no start event id" };
  const outbox = await db().outboxEvent.findUnique({ where: { id: job.eventId } });
  if (outbox && !outbox.sentAt) {
    return { kind: "unsent", attempts: outbox.attempts, lastError: outbox.lastError, nextAttemptAt: outbox.nextAttemptAt };
  }
  const functionId = jobFunctionId(job.type);
  try {
    const runs = await getJson<{ data: Array<{ run_id: string; function_id: string; status: string }> }>(
      `/v1/events/${encodeURIComponent(job.eventId)}/runs`,
    );
    if (!runs.body) return { kind: "unknown", reason: `Inngest answered ${runs.status} about the start event` };
    const run = runs.body.data.find((r) => r.function_id === functionId);
    if (run) {
      const detail = await getJson<{ data: { status?: string; waiting?: { reasons?: string[] } | null } }>(`/v1/runs/${run.run_id}`);
      return {
        kind: "run",
        runId: run.run_id,
        status: detail.body?.data.status ?? run.status,
        waiting: detail.body?.data.waiting?.reasons ?? [],
      };
    }
    const fn = await getJson<{ data: { paused?: boolean } }>(`/v1/functions/${encodeURIComponent(functionId)}`);
    if (fn.body?.data.paused) return { kind: "paused", functionId };
    // The embedded engine keeps why an event started no run; Inngest's event view has no such field.
    const ev = await getJson<{ data: { no_run_reason?: string | null } }>(`/v1/events/${encodeURIComponent(job.eventId)}`);
    const reason = ev.body?.data.no_run_reason ?? undefined;
    return reason ? { kind: "none", functionId, reason } : { kind: "none", functionId };
  } catch (err) {
    return { kind: "unknown", reason: `Inngest did not answer: ${(err as Error).message}` };
  }
}

/** The fate as a sentence for the job page. */
export function describeFate(fate: StartEventFate): string {
  switch (fate.kind) {
    case "unsent":
      return `queued: the start event has not reached Inngest yet (${fate.attempts} attempt(s)${fate.lastError ? `, last error: ${fate.lastError}` : ""}); next try at ${fate.nextAttemptAt.toISOString()}`;
    case "run":
      return fate.waiting[0]
        ? `queued: run ${fate.runId} has not started: ${fate.waiting[0]}`
        : `queued: run ${fate.runId} is ${fate.status ?? "queued"}`;
    case "paused":
      return `queued: function ${fate.functionId} is paused; the job starts when it is resumed`;
    case "none":
      return fate.reason
        ? `queued: Inngest took the start event but started no run of ${fate.functionId}: ${fate.reason}; the stalled-job sweep sends it again`
        : `queued: Inngest took the start event but started no run of ${fate.functionId} (the function may have been paused or not registered); the stalled-job sweep sends it again`;
    case "unknown":
      return `queued: the run has not started yet (${fate.reason})`;
  }
}
