import { z } from "zod";
import { env } from "@/env";
import type { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import { AppError, validationError } from "../../errors";
import type { Scope } from "../../identity";
import { audited } from "../audit/record-audit";
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

/** A balance is a PostgreSQL integer: no grant may take it past this. */
export const MAX_BALANCE = 2_147_483_647;

export const grantInput = z.object({
  amount: z.number().int("amount must be a whole number").min(1).max(1_000_000),
  userId: z.string().trim().min(1).max(200).optional(),
  /** The organization of that user; the operator's own by default. */
  orgId: z.string().trim().min(1).max(200).optional(),
});

/**
 * Adds credits to a user's account. Credits are money-like, so only an operator grants them (never a member for
 * themselves). One statement: the balance grows only if it stays within MAX_BALANCE, otherwise nothing changes and
 * the caller gets a 400 saying how much room is left.
 */
export async function grantCredits(
  scope: Scope,
  operator: boolean,
  raw: z.input<typeof grantInput>,
): Promise<{ userId: string; orgId: string; balance: number }> {
  if (!operator) throw new AppError("FORBIDDEN", "only an operator can grant credits");
  const input = parseInput(grantInput, raw);
  const userId = input.userId ?? scope.userId;
  const orgId = input.orgId ?? scope.orgId;
  await account(db(), orgId, userId);
  return audited(
    scope,
    async (tx) => {
      const rows = await tx.$queryRaw<Array<{ balance: number }>>`
        UPDATE "CreditAccount" SET "balance" = "balance" + ${input.amount}, "updatedAt" = now()
        WHERE "orgId" = ${orgId} AND "userId" = ${userId} AND "balance" <= ${MAX_BALANCE - input.amount}
        RETURNING "balance"`;
      if (!rows[0]) {
        const current = await creditBalance(orgId, userId);
        throw validationError([
          {
            path: ["amount"],
            message: `the balance (${current}) can grow by at most ${MAX_BALANCE - current}; ${input.amount} is too much`,
          },
        ]);
      }
      const balance = rows[0].balance;
      return {
        result: { userId, orgId, balance },
        audit: { action: "credits.grant", targetType: "user", targetId: userId, orgId, after: { amount: input.amount, balance } },
      };
    },
    { operator: true },
  );
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
