import type { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import type { Scope } from "../../identity";
import { enqueueEvent, type OutgoingEvent } from "../outbox/enqueue-event";
import { relayOutbox } from "../outbox/relay-outbox";
import { lockOrganization } from "./org-lock";

/**
 * How long a command may wait for a connection and then run. Under a burst, commands of one organization queue
 * on its lock; waiting a little longer beats answering 503 (Prisma's defaults are 2 s and 5 s).
 */
const TRANSACTION = { maxWait: 10_000, timeout: 10_000 } as const;

/**
 * One state change of an organization's jobs and the events it implies, as one transaction: the organization's
 * lock first (so limits and idempotency checks cannot be raced), then `fn`, whose `emit` writes outbox events that
 * commit with the change; after the commit they are relayed at once (a failed relay only delays them: the relay
 * loop sends them later).
 */
export async function runJobCommand<T>(
  scope: Scope,
  fn: (tx: Prisma.TransactionClient, emit: (event: OutgoingEvent) => Promise<void>) => Promise<T>,
): Promise<T> {
  const emitted: string[] = [];
  const result = await db().$transaction(async (tx) => {
    await lockOrganization(tx, scope.orgId);
    return fn(tx, async (event) => {
      await enqueueEvent(tx, event);
      emitted.push(event.id);
    });
  }, TRANSACTION);
  if (emitted.length) await relayOutbox({ ids: emitted }).catch(() => undefined);
  return result;
}
