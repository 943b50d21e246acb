import { env } from "@/env";
import { db } from "../../db";
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
 */
export async function recoverStalledJobs(now = new Date()): Promise<StalledVerdict[]> {
  const cutoff = new Date(now.getTime() - env().STALLED_AFTER_MINUTES * 60_000);
  const candidates = await db().job.findMany({
    where: {
      status: { in: [...STARTED] },
      OR: [{ heartbeatAt: { lt: cutoff } }, { heartbeatAt: null, updatedAt: { lt: cutoff } }],
    },
    select: { id: true, orgId: true, runId: true },
    take: 500,
  });
  const stalled: StalledVerdict[] = [];
  for (const job of candidates) {
    const status = job.runId ? await runStatus(job.runId) : "gone";
    if (status === undefined || !(status === "gone" || ENDED.has(status))) continue;
    const error = { name: "Stalled", message: `stalled: no heartbeat since before ${cutoff.toISOString()} and the run is ${status}` };
    const failed = await transitionJob(db(), job, STARTED, { to: "FAILED", error }, now);
    if (failed) stalled.push({ jobId: job.id, runId: job.runId, runStatus: status });
  }
  return stalled;
}
