import type { Prisma } from "@/generated/prisma/client";
import { AppError } from "../../errors";
import { getPlan } from "../plans/plans";
import { activeJobCount } from "./job-counts";

/**
 * The error for an organization at its pending-job limit (its plan's, or the installation's JOBS_MAX_ACTIVE_PER_ORG):
 * a 429 with Retry-After, since jobs finishing make room.
 */
export function activeLimitError(active: number, max: number, asked = 1): AppError {
  const room = Math.max(0, max - active);
  const what =
    asked > 1
      ? `${asked} new jobs would not fit: ${room} would (${active} of ${max} pending)`
      : `it has ${active} queued, running or waiting jobs and the limit is ${max}`;
  return new AppError("TOO_MANY_REQUESTS", `Too many pending jobs for this organization: ${what}; wait for some to finish or cancel them`);
}

/**
 * How many more jobs the organization may have pending now. Call it holding the organization's lock
 * (runJobCommand), so the count cannot change before the caller's write commits.
 */
export async function pendingRoom(tx: Prisma.TransactionClient, orgId: string): Promise<{ room: number; active: number; max: number }> {
  const [plan, active] = await Promise.all([getPlan(orgId, tx), activeJobCount(tx, orgId)]);
  return { room: Math.max(0, plan.maxPendingJobs - active), active, max: plan.maxPendingJobs };
}

/** Throws 429 when the organization already has the most pending jobs its plan allows. */
export async function assertBelowActiveLimit(tx: Prisma.TransactionClient, orgId: string): Promise<void> {
  const { room, active, max } = await pendingRoom(tx, orgId);
  if (room < 1) throw activeLimitError(active, max);
}
