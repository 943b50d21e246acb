import { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import { directQuery } from "../../db-direct";
import { sendEvents } from "../../events/send-events";

const SEND_TIMEOUT_MS = 5_000;
const MAX_BACKOFF_MS = 60_000;

export interface RelayResult {
  sent: number;
  failed: number;
  error?: string;
}

/** 1 s, 2 s, 4 s … capped at a minute: an outage does not turn into a hot loop against Inngest. */
export function relayBackoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempts - 1));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Inngest within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The most events one send carries. The embedded engine writes a send of up to 100 events in one journal flush and
 * keeps such a send out of a flush another sender's lone event was gathered for; a larger send is written alone, in a
 * longer flush that whatever arrives meanwhile shares. A pass of the relay loop (200 due events) sends in parts.
 */
const EVENTS_PER_SEND = 100;

/**
 * Sends unsent outbox events to Inngest: the given ids right away (just after the transaction that wrote them),
 * or every event that is due, at most EVENTS_PER_SEND per request, one request after the other. Sent rows are marked
 * sent; from the first send that fails on, the rows are kept with the error and a later retry time. A send that
 * succeeded but whose answer was lost is sent again and Inngest drops the duplicate by event id, so nothing is lost
 * and nothing runs twice.
 */
export async function relayOutbox(opts: { ids?: string[]; limit?: number } = {}): Promise<RelayResult> {
  const due = await claimDue(opts.ids, opts.limit ?? 200);
  if (!due.length) return { sent: 0, failed: 0 };
  let sent = 0;
  let error: string | undefined;
  for (; sent < due.length; sent += EVENTS_PER_SEND) {
    const part = due.slice(sent, sent + EVENTS_PER_SEND);
    try {
      await withTimeout(
        sendEvents(part.map((e) => ({ id: e.id, name: e.name, data: e.data as Record<string, unknown> }))),
        SEND_TIMEOUT_MS,
      );
    } catch (err) {
      error = (err as Error).message || String(err);
      break;
    }
  }
  sent = Math.min(sent, due.length);
  if (sent > 0) {
    const ids = due.slice(0, sent).map((e) => e.id);
    await directQuery(
      Prisma.sql`UPDATE "OutboxEvent" SET "sentAt" = ${new Date()}::timestamp(3), "lastError" = NULL WHERE "id" = ANY(${ids})`,
    );
  }
  const failed = due.slice(sent);
  if (!failed.length) return { sent, failed: 0 };
  const message = error as string;
  await db().$transaction(
    failed.map((e) =>
      db().outboxEvent.update({
        where: { id: e.id },
        data: {
          attempts: { increment: 1 },
          lastError: message.slice(0, 1000),
          nextAttemptAt: new Date(Date.now() + relayBackoffMs(e.attempts + 1)),
        },
      }),
    ),
  );
  return { sent, failed: failed.length, error: message };
}

/** How long a relay pass may hold the events it took before another pass may take them again. */
const CLAIM_MS = SEND_TIMEOUT_MS * 2;

/**
 * Takes the due events (or the given ones, if due) for this pass, so that two passes at once (the send right after
 * a create and the relay loop) never send the same event twice: taking one moves its next attempt past the claim.
 */
async function claimDue(ids: string[] | undefined, limit: number) {
  // The claim and the "sent" mark run on the direct pool: every start event goes through both.
  return directQuery<{ id: string; name: string; data: unknown; attempts: number }>(Prisma.sql`
    UPDATE "OutboxEvent" SET "nextAttemptAt" = now() + ${`${CLAIM_MS} milliseconds`}::interval
    WHERE "id" IN (
      SELECT "id" FROM "OutboxEvent"
      WHERE "sentAt" IS NULL AND "nextAttemptAt" <= now() ${ids ? Prisma.sql`AND "id" = ANY(${ids})` : Prisma.empty}
      ORDER BY "createdAt" LIMIT ${limit} FOR UPDATE SKIP LOCKED
    )
    RETURNING "id", "name", "data", "attempts"`);
}

/** How many events wait to be relayed, and the oldest one's age (for health). */
export async function outboxBacklog(): Promise<{ pending: number; oldestCreatedAt: Date | null; lastError: string | null }> {
  const [pending, oldest] = await Promise.all([
    db().outboxEvent.count({ where: { sentAt: null } }),
    db().outboxEvent.findFirst({ where: { sentAt: null }, orderBy: { createdAt: "asc" } }),
  ]);
  return { pending, oldestCreatedAt: oldest?.createdAt ?? null, lastError: oldest?.lastError ?? null };
}

const relayLoop = globalThis as unknown as { jobdeckOutboxRelay?: NodeJS.Timeout };

/**
 * Relays due events every `intervalMs` in this process (one loop per process, never two passes at once). On
 * serverless hosts, where no timer survives a request, the `relay-outbox` cron function does the same job.
 */
export function startOutboxRelay(intervalMs: number, onError: (err: unknown) => void = () => {}): () => void {
  if (relayLoop.jobdeckOutboxRelay) return () => {};
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    relayOutbox()
      .catch(onError)
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  relayLoop.jobdeckOutboxRelay = timer;
  return () => {
    clearInterval(timer);
    relayLoop.jobdeckOutboxRelay = undefined;
  };
}
