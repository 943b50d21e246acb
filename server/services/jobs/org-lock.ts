import type { Prisma } from "@/generated/prisma/client";

/**
 * Serializes the job writes of one organization for the rest of the transaction, so the active-job limit and
 * idempotency checks cannot be raced by concurrent requests. Other organizations are not blocked.
 */
export async function lockOrganization(tx: Prisma.TransactionClient, orgId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`jobdeck-org:${orgId}`}))`;
}
