import { db } from "../../db";
import type { Scope } from "../../identity";
import { findScopedJob } from "./find-job";
import { type JobStepView, type JobView, toJobStepView, toJobView } from "./job-view";
import { eventDataFor, payloadFor } from "./mask-sensitive";

/** The event that started the job's current attempt, as the job service sent it (kept a week after sending). */
export interface StartEventView {
  id: string;
  name: string;
  data: unknown;
  createdAt: string;
  sentAt: string | null;
  attempts: number;
  lastError: string | null;
}

export interface JobDetail extends JobView {
  /** Every step execution, oldest first (each attempt is its own row). */
  steps: JobStepView[];
  startEvent: StartEventView | null;
  /** Jobs that replay this one, newest first. */
  replays: Array<{ id: string; status: string; createdAt: string }>;
}

export async function getJob(scope: Scope, id: string): Promise<JobDetail> {
  const job = await findScopedJob(db(), scope, id);
  const [steps, event, replays] = await Promise.all([
    db().jobStep.findMany({ where: { jobId: job.id }, orderBy: [{ startedAt: "asc" }, { id: "asc" }] }),
    job.eventId ? db().outboxEvent.findFirst({ where: { id: job.eventId, jobId: job.id } }) : null,
    db().job.findMany({
      where: { orgId: scope.orgId, replayOfId: job.id },
      orderBy: { createdAt: "desc" },
      take: 20,
      select: { id: true, status: true, createdAt: true },
    }),
  ]);
  return {
    ...toJobView(job),
    payload: payloadFor(scope, job.type, job.payload),
    steps: steps.map(toJobStepView),
    startEvent: event && {
      id: event.id,
      name: event.name,
      data: eventDataFor(scope, event.name, event.data),
      createdAt: event.createdAt.toISOString(),
      sentAt: event.sentAt?.toISOString() ?? null,
      attempts: event.attempts,
      lastError: event.lastError,
    },
    replays: replays.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
  };
}
