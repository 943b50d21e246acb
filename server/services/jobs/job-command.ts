import type { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import type { Scope } from "../../identity";
import { type AuditEntry, recordAudit } from "../audit/record-audit";
import { enqueueEvents, type OutgoingEvent } from "../outbox/enqueue-event";
import { relayOutbox } from "../outbox/relay-outbox";
import { lockOrganization } from "./org-lock";

/**
 * How long a command may wait for a connection and then run. Under a burst, commands of one organization queue
 * on its lock; waiting a little longer beats answering 503 (Prisma's defaults are 2 s and 5 s).
 */
const TRANSACTION = { maxWait: 10_000, timeout: 10_000 } as const;

/** Events per send to Inngest: a retry of a thousand jobs goes out in batches well under Inngest's request limit. */
const RELAY_BATCH = 100;

/**
 * One state change of an organization's jobs and the events it implies, as one transaction: the organization's
 * lock first (so limits and idempotency checks cannot be raced), then `fn`, whose `emit` writes outbox events that
 * commit with the change (many at once in one statement); after the commit they are relayed at once (a failed
 * relay only delays them: the relay loop sends them later). `audit` records what the command did in the audit trail,
 * in the same transaction.
 */
export async function runJobCommand<T>(
  scope: Scope,
  fn: (
    tx: Prisma.TransactionClient,
    emit: (events: OutgoingEvent | OutgoingEvent[]) => Promise<void>,
    audit: (entries: AuditEntry | AuditEntry[]) => Promise<void>,
  ) => Promise<T>,
): Promise<T> {
  const emitted: string[] = [];
  const result = await db().$transaction(async (tx) => {
    await lockOrganization(tx, scope.orgId);
    return fn(
      tx,
      async (events) => {
        const list = Array.isArray(events) ? events : [events];
        await enqueueEvents(tx, list);
        emitted.push(...list.map((e) => e.id));
      },
      (entries) => recordAudit(tx, scope, entries),
    );
  }, TRANSACTION);
  for (let i = 0; i < emitted.length; i += RELAY_BATCH) {
    const ids = emitted.slice(i, i + RELAY_BATCH);
    await relayOutbox({ ids, limit: ids.length }).catch(() => undefined);
  }
  return result;
}
