import { jobContractOf, jobStartEventId } from "@/jobs";
import { db } from "../../db";
import { runJobCommand } from "../jobs/job-command";
import { startEventOf } from "../jobs/start-event";
import { startEventFate } from "../jobs/start-event-fate";

/** A QUEUED job whose start event was sent this long ago and still has no run is looked at. */
export const UNSTARTED_AFTER_MS = 2 * 60_000;

export interface Redelivery {
  jobId: string;
  eventId: string;
}

/**
 * Inngest Cloud and the Dev Server drop the events of a paused function, which would leave such a job QUEUED for
 * ever. This sweep finds QUEUED jobs whose start event Inngest has but started no run from, and, once the function
 * is active again, sends the start event again under a new id (the old one is deduplicated for 24 h). It only acts
 * on a definite "no run": when Inngest cannot say, or the function is still paused, the job is left as it is.
 */
export async function redeliverUnstartedJobs(now = new Date(), limit = 100): Promise<Redelivery[]> {
  const candidates = await db().job.findMany({
    where: { status: "QUEUED", runId: null, updatedAt: { lt: new Date(now.getTime() - UNSTARTED_AFTER_MS) } },
    orderBy: { updatedAt: "asc" },
    take: limit,
  });
  const done: Redelivery[] = [];
  for (const job of candidates) {
    const fate = await startEventFate(job);
    const def = jobContractOf(job.type);
    if (fate.kind !== "none" || !def) continue;
    const eventId = `${jobStartEventId(job.id, job.attempt)}-again-${now.getTime()}`;
    const sent = await runJobCommand({ orgId: job.orgId, userId: job.createdBy }, async (tx, emit) => {
      const { count } = await tx.job.updateMany({
        where: { id: job.id, status: "QUEUED", runId: null, eventId: job.eventId },
        data: { eventId },
      });
      if (!count) return false;
      await emit(startEventOf(job, def, job.attempt, eventId));
      return true;
    });
    if (sent) done.push({ jobId: job.id, eventId });
  }
  return done;
}
