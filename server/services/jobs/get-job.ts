import { db } from "../../db";
import type { Scope } from "../../identity";
import { findScopedJob } from "./find-job";
import { type JobStepView, type JobView, toJobStepView, toJobView } from "./job-view";

export interface JobDetail extends JobView {
  /** Every step execution, oldest first (each attempt is its own row). */
  steps: JobStepView[];
}

export async function getJob(scope: Scope, id: string): Promise<JobDetail> {
  const job = await findScopedJob(db(), scope, id);
  const steps = await db().jobStep.findMany({ where: { jobId: job.id }, orderBy: [{ startedAt: "asc" }, { id: "asc" }] });
  return { ...toJobView(job), steps: steps.map(toJobStepView) };
}
