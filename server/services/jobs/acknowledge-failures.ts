import { db } from "../../db";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { isJobId } from "./find-job";

/**
 * Marks failures as seen so they leave the failed-jobs badge (the jobs stay FAILED and can still be retried).
 * With no ids, every unacknowledged failure of the organization is acknowledged. An id that is not a job of this
 * organization is a 404, as for every single-job call (bulk acknowledge in bulk-jobs.ts skips such ids instead).
 */
export async function acknowledgeFailures(scope: Scope, ids?: string[]): Promise<{ acknowledged: number }> {
  if (ids?.length) {
    // One query for all ids rather than one lookup each.
    const found = new Set(
      (await db().job.findMany({ where: { orgId: scope.orgId, id: { in: ids.filter(isJobId) } }, select: { id: true } })).map((j) => j.id),
    );
    const missing = ids.find((id) => !found.has(id));
    if (missing) throw new AppError("NOT_FOUND", `no job with id "${missing}"`);
  }
  const { count } = await db().job.updateMany({
    where: { orgId: scope.orgId, status: "FAILED", failureAcknowledgedAt: null, ...(ids ? { id: { in: ids } } : {}) },
    data: { failureAcknowledgedAt: new Date() },
  });
  return { acknowledged: count };
}
