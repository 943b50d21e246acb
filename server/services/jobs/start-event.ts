import type { Job, Prisma } from "@/generated/prisma/client";
import type { JobContract } from "@/jobs";
import type { OutgoingEvent } from "../outbox/enqueue-event";

/**
 * The start event of a stored job's attempt (a retry, a bulk retry, a redelivery): its contract turns the stored
 * payload into event data, with the job's ref; `eventId` is the attempt's (or a redelivery's) event id.
 */
export function startEventOf(
  job: Pick<Job, "id" | "orgId" | "createdBy" | "priority" | "payload">,
  def: JobContract,
  attempt: number,
  eventId: string,
): OutgoingEvent {
  return {
    id: eventId,
    jobId: job.id,
    name: def.eventName,
    data: def.toEventData(job.payload as Prisma.JsonObject, {
      id: job.id,
      orgId: job.orgId,
      createdBy: job.createdBy,
      priority: job.priority,
      attempt,
    }),
  };
}
