import { db } from "../../db";
import type { Scope } from "../../identity";
import { findScopedJob } from "./find-job";
import { durationOf } from "./job-view";

export interface JobStatusView {
  jobId: string;
  status: string;
  stepsCompleted: number;
  durationMs: number | null;
}

/** The small status answer pollers ask for. */
export async function getJobStatus(scope: Scope, id: string): Promise<JobStatusView> {
  const job = await findScopedJob(db(), scope, id);
  return { jobId: job.id, status: job.status, stepsCompleted: job.stepsCompleted, durationMs: durationOf(job) };
}
