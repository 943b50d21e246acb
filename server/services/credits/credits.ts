import { z } from "zod";
import { env } from "@/env";
import type { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import type { Scope } from "../../identity";
import { parseInput } from "../validate";

/** The user's account, opened with CREDITS_INITIAL credits the first time it is needed. */
async function account(client: Prisma.TransactionClient, orgId: string, userId: string) {
  return client.creditAccount.upsert({
    where: { orgId_userId: { orgId, userId } },
    create: { orgId, userId, balance: env().CREDITS_INITIAL },
    update: {},
  });
}

export async function creditBalance(orgId: string, userId: string): Promise<number> {
  return (await account(db(), orgId, userId)).balance;
}

export const grantInput = z.object({ amount: z.number().int().min(1).max(1_000_000), userId: z.string().min(1).optional() });

/** Adds credits to a user of the caller's organization (the caller by default). */
export async function grantCredits(scope: Scope, raw: z.input<typeof grantInput>): Promise<{ userId: string; balance: number }> {
  const input = parseInput(grantInput, raw);
  const userId = input.userId ?? scope.userId;
  await account(db(), scope.orgId, userId);
  const row = await db().creditAccount.update({
    where: { orgId_userId: { orgId: scope.orgId, userId } },
    data: { balance: { increment: input.amount } },
  });
  return { userId, balance: row.balance };
}

/**
 * Takes one credit for `chargeKey` exactly once: the reservation row and the decrement commit together, so a
 * retried or replayed step finds the reservation and takes nothing more. Returns the balance afterwards.
 */
export async function deductCreditOnce(
  orgId: string,
  userId: string,
  chargeKey: string,
  jobId?: string,
): Promise<{ charged: boolean; balance: number }> {
  return db().$transaction(async (tx) => {
    const acct = await account(tx, orgId, userId);
    const reserved = await tx.$executeRaw`
      INSERT INTO "SideEffect" ("key", "jobId", "kind", "reservedAt", "completedAt") VALUES (${chargeKey}, ${jobId ?? null}::uuid, 'credit', now(), now())
      ON CONFLICT ("key") DO NOTHING`;
    if (reserved === 0) return { charged: false, balance: acct.balance };
    const row = await tx.creditAccount.update({
      where: { orgId_userId: { orgId, userId } },
      data: { balance: { decrement: 1 } },
    });
    return { charged: true, balance: row.balance };
  });
}
