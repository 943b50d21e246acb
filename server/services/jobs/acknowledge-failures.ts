import { db } from "../../db";
import { AppError } from "../../errors";
import { requireRole, type Scope } from "../../identity";
import { audited } from "../audit/record-audit";
import { isJobId } from "./find-job";

/**
 * Marks failures as seen so they leave the failed-jobs badge (the jobs stay FAILED and can still be retried).
 * With no ids, every unacknowledged failure of the organization is acknowledged. An id that is not a job of this
 * organization is a 404, as for every single-job call (bulk acknowledge in bulk-jobs.ts skips such ids instead).
 */
export async function acknowledgeFailures(scope: Scope, ids?: string[]): Promise<{ acknowledged: number }> {
  requireRole(scope, "member", "acknowledging failures");
  if (ids?.length) {
    // One query for all ids rather than one lookup each.
    const found = new Set(
      (await db().job.findMany({ where: { orgId: scope.orgId, id: { in: ids.filter(isJobId) } }, select: { id: true } })).map((j) => j.id),
    );
    const missing = ids.find((id) => !found.has(id));
    if (missing) throw new AppError("NOT_FOUND", `no job with id "${missing}"`);
  }
  return audited(scope, async (tx) => {
    const { count } = await tx.job.updateMany({
      where: { orgId: scope.orgId, status: "FAILED", failureAcknowledgedAt: null, ...(ids ? { id: { in: ids } } : {}) },
      data: { failureAcknowledgedAt: new Date() },
    });
    const audit = {
      action: "job.acknowledge",
      targetType: ids?.length === 1 ? "job" : "jobs",
      targetId: ids?.length === 1 ? ids[0] : null,
      before: ids && ids.length > 1 ? { ids: ids.slice(0, 20) } : null,
      after: { acknowledged: count },
    };
    return { result: { acknowledged: count }, audit: count > 0 ? audit : null };
  });
}
