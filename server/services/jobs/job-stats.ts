import type { JobStatus } from "@/generated/prisma/enums";
import { db } from "../../db";
import type { Scope } from "../../identity";

export type StatusCounts = Record<Lowercase<JobStatus>, number>;

export interface JobStats {
  jobs: StatusCounts & { total: number; active: number; unacknowledgedFailures: number };
  byType: Record<string, StatusCounts>;
}

const emptyCounts = (): StatusCounts => ({ queued: 0, running: 0, waiting: 0, completed: 0, failed: 0, cancelled: 0 });

/** Counts by status and by type, and the unacknowledged failures behind the console's badge. */
export async function jobStats(scope: Scope): Promise<JobStats> {
  const [groups, unacknowledgedFailures] = await Promise.all([
    db().job.groupBy({ by: ["type", "status"], where: { orgId: scope.orgId }, _count: { _all: true } }),
    db().job.count({ where: { orgId: scope.orgId, status: "FAILED", failureAcknowledgedAt: null } }),
  ]);
  const totals = emptyCounts();
  const byType: Record<string, StatusCounts> = {};
  for (const g of groups) {
    const key = g.status.toLowerCase() as Lowercase<JobStatus>;
    totals[key] += g._count._all;
    const forType = (byType[g.type] ??= emptyCounts());
    forType[key] += g._count._all;
  }
  const total = Object.values(totals).reduce((a, b) => a + b, 0);
  return {
    jobs: { ...totals, total, active: totals.queued + totals.running + totals.waiting, unacknowledgedFailures },
    byType,
  };
}
