import type { Prisma } from "@/generated/prisma/client";
import type { JobStatus } from "@/generated/prisma/enums";
import { ACTIVE } from "./job-status";

/**
 * Reading the job counts PostgreSQL maintains ("JobCount", kept by a trigger on "Job" in the same transaction as
 * every change: see the migration job_counts_and_search). A read sums at most 16 slots per bucket and type, so it
 * costs the same at ten jobs or ten million.
 */

/** A status, UNACKNOWLEDGED (failures nobody acknowledged) or CHANGES (rows written, type ""). */
export type CountBucket = JobStatus | "UNACKNOWLEDGED" | "CHANGES";

/** The organization's counts: bucket → type → count. */
export type JobCounts = Map<CountBucket, Map<string, number>>;

type RawClient = Pick<Prisma.TransactionClient, "$queryRaw">;

export async function readJobCounts(client: RawClient, orgId: string): Promise<JobCounts> {
  const rows = await client.$queryRaw<Array<{ bucket: CountBucket; type: string; n: bigint }>>`
    SELECT "bucket", "type", sum("count")::int8 AS n FROM "JobCount" WHERE "orgId" = ${orgId} GROUP BY "bucket", "type"`;
  const counts: JobCounts = new Map();
  for (const r of rows) {
    const byType = counts.get(r.bucket) ?? new Map<string, number>();
    byType.set(r.type, Number(r.n));
    counts.set(r.bucket, byType);
  }
  return counts;
}

/** The total of some buckets, for one type or all. */
export function sumBuckets(counts: JobCounts, buckets: readonly CountBucket[], type?: string): number {
  let total = 0;
  for (const bucket of buckets) {
    for (const [t, n] of counts.get(bucket) ?? []) if (type === undefined || t === type) total += n;
  }
  return total;
}

/**
 * The organization's QUEUED, RUNNING and WAITING jobs. Exact inside a transaction that holds the organization's
 * lock: every statement reads what the writers before it committed.
 */
export async function activeJobCount(client: RawClient, orgId: string): Promise<number> {
  const rows = await client.$queryRaw<Array<{ n: bigint | null }>>`
    SELECT sum("count")::int8 AS n FROM "JobCount" WHERE "orgId" = ${orgId} AND "bucket" = ANY(${[...ACTIVE]}::text[])`;
  return Number(rows[0]?.n ?? 0);
}

/**
 * The organization's change counter: it grows with every job row written or deleted, so a console that saw
 * version V needs to fetch nothing while it is still V. One index range of at most 16 rows.
 */
export async function jobsVersion(client: RawClient, orgId: string): Promise<number> {
  const rows = await client.$queryRaw<Array<{ n: bigint | null }>>`
    SELECT sum("count")::int8 AS n FROM "JobCount" WHERE "orgId" = ${orgId} AND "bucket" = 'CHANGES' AND "type" = ''`;
  return Number(rows[0]?.n ?? 0);
}
