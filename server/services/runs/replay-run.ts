import { z } from "zod";
import { requireRole, type Scope } from "../../identity";
import { auditedRemote } from "../audit/record-audit";
import { replayJob } from "../jobs/replay-job";
import { rerunJobFromStep } from "../jobs/rerun-job";
import { parseInput } from "../validate";
import { jobOfRun, runsApi, scopedRun } from "./engine-runs";

export const replayRunInput = z.object({
  runId: z.string().min(1, "runId is required").max(64),
  /** A step id (or its SDK hash): the steps before it are reused from this run, it and later ones run again. */
  fromStep: z.string().trim().min(1, "fromStep: required when given").max(200).optional(),
});

/**
 * Replays one run: a job's run replays its job (a new job with the same payload, or the same job again from a step,
 * so the job's status follows the new run); any other run replays in Inngest as a new run of the same event(s).
 */
export async function replayRun(
  scope: Scope,
  operator: boolean,
  raw: z.input<typeof replayRunInput>,
): Promise<{ runId: string | null; jobId: string | null }> {
  requireRole(scope, "member", "replaying a run");
  const input = parseInput(replayRunInput, raw);
  const run = await scopedRun(scope, operator, input.runId);
  const jobId = jobOfRun(run);
  if (jobId) {
    if (input.fromStep) {
      const { job, runId } = await rerunJobFromStep(scope, jobId, input.fromStep, input.runId);
      return { runId, jobId: job.id };
    }
    const { job } = await replayJob(scope, jobId, {});
    return { runId: null, jobId: job.id };
  }
  return auditedRemote(scope, async () => {
    const { data } = await runsApi<{ data: { run_id: string } }>(`/v1/runs/${input.runId}/replay`, {
      method: "POST",
      body: input.fromStep ? { from_step: input.fromStep } : {},
    });
    const audit = {
      action: "run.replay",
      targetType: "run",
      targetId: input.runId,
      after: { runId: data.run_id, fromStep: input.fromStep ?? null },
    };
    return { result: { runId: data.run_id, jobId: null }, audit };
  });
}
