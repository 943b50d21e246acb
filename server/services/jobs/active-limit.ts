import { env } from "@/env";
import type { Prisma } from "@/generated/prisma/client";
import { AppError } from "../../errors";
import { ACTIVE } from "./job-status";

/** Throws 429 when the organization already has the most QUEUED/RUNNING/WAITING jobs it may have. */
export async function assertBelowActiveLimit(tx: Prisma.TransactionClient, orgId: string): Promise<void> {
  const max = env().JOBS_MAX_ACTIVE_PER_ORG;
  const active = await tx.job.count({ where: { orgId, status: { in: [...ACTIVE] } } });
  if (active >= max) {
    throw new AppError(
      "TOO_MANY_REQUESTS",
      `this organization already has ${active} queued, running or waiting jobs (the limit is ${max}); wait for some to finish or cancel them`,
    );
  }
}
