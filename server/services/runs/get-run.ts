import { db } from "../../db";
import type { Scope } from "../../identity";
import { type LogLineView, runLogs } from "../logs/search-logs";
import { jobOfRun, orgOfRun, type RunDetail, scopedRun } from "./engine-runs";

export interface RunPage extends RunDetail {
  /** The caller's job this run works for, when it has one. */
  job_id: string | null;
  logs: LogLineView[];
}

/** One run for the run page: its trace, events, output or error, invoke links, its job and its log lines. */
export async function getRun(scope: Scope, operator: boolean, runId: string): Promise<RunPage> {
  const run = await scopedRun(scope, operator, runId);
  const jobId = jobOfRun(run);
  const org = orgOfRun(run);
  const job =
    jobId && org && /^[0-9a-f-]{36}$/i.test(jobId)
      ? await db().job.findFirst({ where: { id: jobId, orgId: operator ? org : scope.orgId }, select: { id: true } })
      : null;
  return { ...run, job_id: job?.id ?? null, logs: await runLogs(scope, operator, runId) };
}
