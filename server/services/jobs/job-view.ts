import type { Job, JobStep } from "@/generated/prisma/client";
import { type ErrorView, storedErrorView } from "./stored-values";

/** The JSON shape of a job every interface returns (dates as ISO strings). */
export interface JobView {
  id: string;
  type: string;
  status: Job["status"];
  priority: number;
  payload: unknown;
  result: unknown;
  /** Why the job failed or was cancelled (or the last retried error while it waits); null otherwise. */
  error: ErrorView | null;
  idempotencyKey: string | null;
  /** Labels given at create. */
  tags: string[];
  source: Job["source"];
  createdBy: string;
  runId: string | null;
  /** The job this one replays. */
  replayOfId: string | null;
  attempt: number;
  stepsCompleted: number;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  /** When a rerun from a step put it back in the queue (null if never rerun). */
  queuedAt: string | null;
  finishedAt: string | null;
  heartbeatAt: string | null;
  cancelRequestedAt: string | null;
  failureAcknowledgedAt: string | null;
  /** Run time so far: finished (or now) minus started; null before it starts. */
  durationMs: number | null;
}

export interface JobStepView {
  id: string;
  name: string;
  /** The SDK's hashed step id (the key of the step's log lines). */
  stepId: string | null;
  kind: JobStep["kind"];
  status: JobStep["status"];
  attempt: number;
  runId: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  output: unknown;
  error: ErrorView | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function durationOf(job: Pick<Job, "startedAt" | "finishedAt">, now = Date.now()): number | null {
  if (!job.startedAt) return null;
  return Math.max(0, (job.finishedAt?.getTime() ?? now) - job.startedAt.getTime());
}

export function toJobView(job: Job): JobView {
  return {
    id: job.id,
    type: job.type,
    status: job.status,
    priority: job.priority,
    payload: job.payload,
    result: job.result ?? null,
    error: storedErrorView(job.error),
    idempotencyKey: job.idempotencyKey,
    tags: job.tags ?? [],
    source: job.source,
    createdBy: job.createdBy,
    runId: job.runId,
    replayOfId: job.replayOfId,
    attempt: job.attempt,
    stepsCompleted: job.stepsCompleted,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    startedAt: iso(job.startedAt),
    queuedAt: iso(job.queuedAt ?? null),
    finishedAt: iso(job.finishedAt),
    heartbeatAt: iso(job.heartbeatAt),
    cancelRequestedAt: iso(job.cancelRequestedAt),
    failureAcknowledgedAt: iso(job.failureAcknowledgedAt),
    durationMs: durationOf(job),
  };
}

export function toJobStepView(s: JobStep): JobStepView {
  return {
    id: s.id,
    name: s.name,
    stepId: s.stepId,
    kind: s.kind,
    status: s.status,
    attempt: s.attempt,
    runId: s.runId,
    startedAt: s.startedAt.toISOString(),
    finishedAt: iso(s.finishedAt),
    durationMs: s.durationMs,
    output: s.output ?? null,
    error: storedErrorView(s.error),
  };
}
