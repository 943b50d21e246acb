import type { Prisma } from "@/generated/prisma/client";

export interface OutgoingEvent {
  /** Also the Inngest event id: Inngest drops a second event with the same id, so re-sends are harmless. */
  id: string;
  name: string;
  data: Record<string, unknown>;
  jobId?: string;
}

/**
 * Writes an event to the outbox inside the caller's transaction: it exists exactly when the change that needs it
 * commits. relayOutbox() sends it afterwards.
 */
export async function enqueueEvent(tx: Prisma.TransactionClient, event: OutgoingEvent): Promise<void> {
  await tx.outboxEvent.create({
    data: { id: event.id, name: event.name, data: event.data as Prisma.InputJsonValue, jobId: event.jobId ?? null },
  });
}

/** The event id for attempt `attempt` of a job's start, its cancellation, or an approval decision. */
export const jobStartEventId = (jobId: string, attempt: number) => `jobdeck-${jobId}-start-${attempt}`;
export const jobCancelEventId = (jobId: string, attempt: number) => `jobdeck-${jobId}-cancel-${attempt}`;
export const jobDecisionEventId = (jobId: string, attempt: number) => `jobdeck-${jobId}-decision-${attempt}`;
