import { env } from "@/env";
import { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import { utc } from "../jobs/job-query";
import { STARTED, transitionJob } from "../jobs/job-status";
import { inngestApi } from "../system/inngest-target";

export interface StalledVerdict {
  jobId: string;
  runId: string | null;
  runStatus: string;
}

const ENDED = new Set(["Completed", "Failed", "Cancelled", "COMPLETED", "FAILED", "CANCELLED"]);

/** The run's status according to Inngest: "gone" when Inngest does not know it, undefined when Inngest is unreachable. */
async function runStatus(runId: string): Promise<string | undefined> {
  try {
    const res = await inngestApi(`/v1/runs/${encodeURIComponent(runId)}`);
    if (res.status === 404) return "gone";
    if (!res.ok) return undefined;
    const body = (await res.json()) as { data?: { status?: string } };
    return body.data?.status ?? "gone";
  } catch {
    return undefined;
  }
}

/**
 * RUNNING or WAITING jobs with no heartbeat for STALLED_AFTER_MINUTES whose run is gone (Inngest ended it, or
 * never heard of it) become FAILED with reason "stalled". A job whose run is still alive is left alone however
 * long it waits (an approval may wait a day); when Inngest cannot be asked, nothing is changed.
 *
 * Each pass asks about the `limit` longest-silent jobs ((status, heartbeatAt) index). A run Inngest says is alive
 * counts as a heartbeat, so it moves to the back of the line and the next pass reaches the jobs behind it: a
 * stalled job behind thousands of long waits is found within a few passes, not never.
 */
/**
 * The longest-silent started jobs: per status, those that never had a heartbeat (old rows) and then those whose
 * heartbeat is oldest, each an ordered range of the (status, heartbeatAt) index, merged.
 */
export function stalledCandidates(cutoff: Date, limit: number): Prisma.Sql {
  const ranges = STARTED.flatMap((status) => [
    Prisma.sql`(SELECT "id"::text AS id, "orgId", "runId", "heartbeatAt" FROM "Job"
      WHERE "status" = ${status}::"JobStatus" AND "heartbeatAt" IS NULL AND "updatedAt" < ${utc(cutoff)} LIMIT ${limit})`,
    Prisma.sql`(SELECT "id"::text AS id, "orgId", "runId", "heartbeatAt" FROM "Job"
      WHERE "status" = ${status}::"JobStatus" AND "heartbeatAt" < ${utc(cutoff)} ORDER BY "heartbeatAt" LIMIT ${limit})`,
  ]);
  return Prisma.sql`SELECT id, "orgId", "runId" FROM (${Prisma.join(ranges, " UNION ALL ")}) AS c
    ORDER BY "heartbeatAt" ASC NULLS FIRST, id LIMIT ${limit}`;
}

export async function recoverStalledJobs(now = new Date(), limit = 500): Promise<StalledVerdict[]> {
  const cutoff = new Date(now.getTime() - env().STALLED_AFTER_MINUTES * 60_000);
  const candidates = await db().$queryRaw<Array<{ id: string; orgId: string; runId: string | null }>>(stalledCandidates(cutoff, limit));
  const stalled: StalledVerdict[] = [];
  const alive: string[] = [];
  for (const job of candidates) {
    const status = job.runId ? await runStatus(job.runId) : "gone";
    if (status === undefined) continue;
    if (!(status === "gone" || ENDED.has(status))) {
      alive.push(job.id);
      continue;
    }
    const error = { name: "Stalled", message: `stalled: no heartbeat since before ${cutoff.toISOString()} and the run is ${status}` };
    const failed = await transitionJob(db(), job, STARTED, { to: "FAILED", error }, now);
    if (failed) stalled.push({ jobId: job.id, runId: job.runId, runStatus: status });
  }
  // Only jobs still silent and still started: a heartbeat or an ending since the read stays as it is.
  if (alive.length) {
    await db().job.updateMany({
      where: { id: { in: alive }, status: { in: [...STARTED] }, OR: [{ heartbeatAt: { lt: cutoff } }, { heartbeatAt: null }] },
      data: { heartbeatAt: now },
    });
  }
  return stalled;
}
