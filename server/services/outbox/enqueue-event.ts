import type { Prisma } from "@/generated/prisma/client";

export interface OutgoingEvent {
  /** Also the Inngest event id: Inngest drops a second event with the same id, so re-sends are harmless. */
  id: string;
  name: string;
  data: Record<string, unknown>;
  jobId?: string;
}

/**
 * Writes events to the outbox inside the caller's transaction, in one statement: they exist exactly when the
 * change that needs them commits. relayOutbox() sends them afterwards.
 */
export async function enqueueEvents(tx: Prisma.TransactionClient, events: readonly OutgoingEvent[]): Promise<void> {
  if (!events.length) return;
  await tx.outboxEvent.createMany({
    data: events.map((e) => ({ id: e.id, name: e.name, data: e.data as Prisma.InputJsonValue, jobId: e.jobId ?? null })),
  });
}
