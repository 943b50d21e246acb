import type { Prisma } from "@/generated/prisma/client";

/**
 * Serializes the job writes of one organization for the rest of the transaction, so the active-job limit and
 * idempotency checks cannot be raced by concurrent requests. Other organizations are not blocked. Returned
 * unawaited, so a batch transaction (`$transaction([lock, write])`) can run it as its first statement.
 */
export function lockOrganization(client: Pick<Prisma.TransactionClient, "$executeRaw">, orgId: string) {
  return client.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`jobdeck-org:${orgId}`}))`;
}
