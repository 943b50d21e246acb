import { db } from "../../db";
import type { Scope } from "../../identity";
import { findScopedJob } from "./find-job";

/**
 * Marks failures as seen so they leave the failed-jobs badge (the jobs stay FAILED and can still be retried).
 * With no ids, every unacknowledged failure of the organization is acknowledged.
 */
export async function acknowledgeFailures(scope: Scope, ids?: string[]): Promise<{ acknowledged: number }> {
  if (ids) for (const id of ids) await findScopedJob(db(), scope, id);
  const { count } = await db().job.updateMany({
    where: { orgId: scope.orgId, status: "FAILED", failureAcknowledgedAt: null, ...(ids ? { id: { in: ids } } : {}) },
    data: { failureAcknowledgedAt: new Date() },
  });
  return { acknowledged: count };
}
