import { env } from "@/env";
import type { Prisma } from "@/generated/prisma/client";
import { AppError } from "../../errors";
import { activeJobCount } from "./job-counts";

/** The error for an organization at its active-job limit. */
export function activeLimitError(active: number, max = env().JOBS_MAX_ACTIVE_PER_ORG): AppError {
  return new AppError(
    "TOO_MANY_REQUESTS",
    `this organization already has ${active} queued, running or waiting jobs (the limit is ${max}); wait for some to finish or cancel them`,
  );
}

/**
 * Throws 429 when the organization already has the most QUEUED/RUNNING/WAITING jobs it may have. Call it holding
 * the organization's lock (runJobCommand), so the count cannot change before the caller's write commits.
 */
export async function assertBelowActiveLimit(tx: Prisma.TransactionClient, orgId: string): Promise<void> {
  const max = env().JOBS_MAX_ACTIVE_PER_ORG;
  const active = await activeJobCount(tx, orgId);
  if (active >= max) throw activeLimitError(active, max);
}
