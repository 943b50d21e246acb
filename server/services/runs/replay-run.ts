import { z } from "zod";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { replayJob } from "../jobs/replay-job";
import { rerunJobFromStep } from "../jobs/rerun-job";
import { parseInput } from "../validate";
import { jobOfRun, runsApi, scopedRun } from "./engine-runs";
import { listRunsInput, runsQuery } from "./list-runs";

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
  const { data } = await runsApi<{ data: { run_id: string } }>(`/v1/runs/${input.runId}/replay`, {
    method: "POST",
    body: input.fromStep ? { from_step: input.fromStep } : {},
  });
  return { runId: data.run_id, jobId: null };
}

export const replayFailedInput = listRunsInput.omit({ cursor: true, limit: true, status: true }).extend({
  /** Count only: how many runs the replay would start. */
  preview: z.boolean().default(false),
});

/** The most runs one bulk replay starts. */
export const MAX_BULK_REPLAY = 1_000;

/**
 * Replays every failed run matching a filter (at most 1,000), or only counts them for the preview. Runs of jobs
 * replay as new jobs, the rest in Inngest. The ids are listed first, so the count shown is the set replayed.
 */
export async function replayFailedRuns(
  scope: Scope,
  operator: boolean,
  raw: z.input<typeof replayFailedInput>,
): Promise<{ matched: number; replayed: number; capped: boolean }> {
  const { preview, ...filter } = parseInput(replayFailedInput, raw);
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const q = runsQuery(scope, operator, { ...filter, status: ["failed"], limit: 200, cursor });
    const page = await runsApi<{ data: Array<{ run_id: string }>; cursor?: string | null }>(`/v1/runs?${q}`);
    ids.push(...page.data.map((r) => r.run_id));
    cursor = page.cursor ?? undefined;
  } while (cursor && ids.length < MAX_BULK_REPLAY);
  const chosen = ids.slice(0, MAX_BULK_REPLAY);
  const capped = ids.length > MAX_BULK_REPLAY || Boolean(cursor);
  if (preview) return { matched: chosen.length, replayed: 0, capped };
  let replayed = 0;
  for (const runId of chosen) {
    try {
      await replayRun(scope, operator, { runId });
      replayed++;
    } catch (err) {
      // A run whose job was replayed meanwhile (or no longer exists) is skipped; anything else stops the replay.
      if (!(err instanceof AppError) || !["CONFLICT", "NOT_FOUND"].includes(err.code)) throw err;
    }
  }
  return { matched: chosen.length, replayed, capped };
}
