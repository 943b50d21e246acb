import { db } from "../../db";
import type { Scope } from "../../identity";
import { eventDataFor } from "../jobs/mask-sensitive";
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
  // A viewer sees the events' sensitive fields masked, as on the job's own page.
  const events = run.events.map((e) => ({ ...e, data: eventDataFor(scope, e.name, e.data) as Record<string, unknown> | undefined }));
  return { ...run, events, job_id: job?.id ?? null, logs: await runLogs(scope, operator, runId) };
}
