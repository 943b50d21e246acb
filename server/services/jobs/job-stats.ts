import type { JobStatus } from "@/generated/prisma/enums";
import { db } from "../../db";
import type { Scope } from "../../identity";
import { type JobCounts, jobsVersion, readJobCounts } from "./job-counts";
import { ALL_STATUSES } from "./job-query";

export type StatusCounts = Record<Lowercase<JobStatus>, number>;

export interface JobStats {
  jobs: StatusCounts & { total: number; active: number; unacknowledgedFailures: number };
  byType: Record<string, StatusCounts>;
}

const emptyCounts = (): StatusCounts => ({ queued: 0, running: 0, waiting: 0, completed: 0, failed: 0, cancelled: 0 });

/** Counts by type and status from the maintained counts (types with no jobs left are omitted). */
export function countsByType(counts: JobCounts): Record<string, StatusCounts> {
  const byType: Record<string, StatusCounts> = {};
  for (const status of ALL_STATUSES) {
    for (const [type, n] of counts.get(status) ?? []) {
      if (n === 0) continue;
      const forType = (byType[type] ??= emptyCounts());
      forType[status.toLowerCase() as Lowercase<JobStatus>] = n;
    }
  }
  return byType;
}

/** Counts by status and by type, and the unacknowledged failures behind the console's badge. */
export async function jobStats(scope: Scope): Promise<JobStats> {
  const counts = await readJobCounts(db(), scope.orgId);
  const byType = countsByType(counts);
  const totals = emptyCounts();
  for (const forType of Object.values(byType)) {
    for (const key of Object.keys(totals) as Array<keyof StatusCounts>) totals[key] += forType[key];
  }
  let unacknowledgedFailures = 0;
  for (const n of counts.get("UNACKNOWLEDGED")?.values() ?? []) unacknowledgedFailures += n;
  const total = Object.values(totals).reduce((a, b) => a + b, 0);
  return {
    jobs: { ...totals, total, active: totals.queued + totals.running + totals.waiting, unacknowledgedFailures },
    byType,
  };
}

/** The organization's change counter: when it is what the console last saw, nothing it shows has changed. */
export async function jobChangesVersion(scope: Scope): Promise<{ version: number }> {
  return { version: await jobsVersion(db(), scope.orgId) };
}
