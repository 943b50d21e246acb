import { storableJson } from "@jobdeck/safe-json";
import type { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import { isDatabaseUnavailable } from "../../errors";

export type AtMostOnceOutcome<T> =
  | { status: "done"; detail: T }
  /** An earlier attempt completed it: its recorded detail, nothing repeated. */
  | { status: "already-done"; detail: T }
  /** An earlier attempt reserved it and never recorded the end (it crashed): it may have happened, so not again. */
  | { status: "unknown"; reservedAt: string };

/**
 * Performs an external effect (an email, a charge) at most once per `key`, even across retries and crashes:
 * a reservation row is committed before the effect and completed after it. If the process dies in between, a
 * retry finds the reservation without completion and reports "unknown" instead of repeating the effect.
 *
 * When the effect throws an error for which `certainlyNotDone(err)` is true (the server refused or could not be
 * reached), the reservation is released so a retry can try again; any other error keeps it.
 */
export async function atMostOnce<T>(
  key: string,
  meta: { kind: string; jobId?: string | null },
  effect: () => Promise<T>,
  certainlyNotDone: (err: unknown) => boolean,
): Promise<AtMostOnceOutcome<T>> {
  const reserved = await db().$executeRaw`
    INSERT INTO "SideEffect" ("key", "jobId", "kind", "reservedAt") VALUES (${key}, ${meta.jobId ?? null}::uuid, ${meta.kind}, now())
    ON CONFLICT ("key") DO NOTHING`;
  if (reserved === 0) {
    const existing = await db().sideEffect.findUniqueOrThrow({ where: { key } });
    if (existing.completedAt) return { status: "already-done", detail: existing.detail as T };
    return { status: "unknown", reservedAt: existing.reservedAt.toISOString() };
  }
  let detail: T;
  try {
    detail = await effect();
  } catch (err) {
    if (certainlyNotDone(err)) await db().sideEffect.delete({ where: { key } });
    throw err;
  }
  await recordCompletion(key, detail);
  return { status: "done", detail };
}

/** How long a completed effect keeps trying to record that it completed while the database is away. */
const COMPLETION_RETRY_MS = 60_000;

/**
 * The effect happened: record it. A database blip right now must not turn a sent email into "unknown" on the next
 * attempt, so a failure to reach the database is retried (with backoff, for up to a minute) before giving up.
 */
async function recordCompletion(key: string, detail: unknown): Promise<void> {
  const deadline = Date.now() + COMPLETION_RETRY_MS;
  for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      await db().sideEffect.update({
        where: { key },
        data: { completedAt: new Date(), detail: JSON.parse(storableJson(detail)) as Prisma.InputJsonValue },
      });
      return;
    } catch (err) {
      if (!isDatabaseUnavailable(err) || Date.now() + delay > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
