import { z } from "zod";
import { db } from "../../db";
import { AppError } from "../../errors";
import { requireRole, type Scope } from "../../identity";
import { auditedRemote } from "../audit/record-audit";
import { replayJob } from "../jobs/replay-job";
import { parseInput } from "../validate";
import { jobOfRun, type RunSummary, runsApi, scopedRun } from "./engine-runs";
import { listRunsInput, runsQuery, systemFunctionIds } from "./list-runs";

export const replayFailedInput = listRunsInput.omit({ cursor: true, limit: true, status: true }).extend({
  /** Count only: what the replay would do, and what it would skip and why. */
  preview: z.boolean().default(false),
  /** Runs picked one by one (the list's checkboxes) instead of every failed run the filter matches. */
  runIds: z
    .array(z.string().regex(/^[0-9A-Z]{26}$/, "not a run id this list showed"))
    .min(1, "pick at least one run")
    .max(200, "at most 200 runs at once")
    .optional(),
});

/** The most runs one bulk replay looks at. */
export const MAX_BULK_REPLAY = 1_000;

/** How many run lookups run at once (each is a request to Inngest). */
const LOOKUPS_AT_ONCE = 8;

export interface SkippedReplay {
  runId: string;
  jobId: string | null;
  reason: string;
}

export interface BulkReplayResult {
  /** Failed runs matching the filter (at most 1,000). */
  matched: number;
  /** What the replay starts: one new job per failed job, one new run per other failed run. The preview's number is this. */
  toReplay: number;
  /** What it did start (0 for a preview; less than toReplay only if something changed in between). */
  replayed: number;
  /** Runs left alone, each with its reason: another run of the same job, a job replayed or retried already. */
  skipped: SkippedReplay[];
  capped: boolean;
}

/** The idempotency key of a bulk replay's new job: two bulk replays (a double click) make one job per failed job. */
const bulkReplayKey = (jobId: string) => `bulk-replay:${jobId}`;

async function failedRunIds(
  scope: Scope,
  operator: boolean,
  filter: z.output<typeof replayFailedInput>,
): Promise<{ ids: string[]; capped: boolean; notFailed: SkippedReplay[] }> {
  if (filter.runIds) return pickedFailedRuns(scope, operator, [...new Set(filter.runIds)]);
  const ids: string[] = [];
  let cursor: string | undefined;
  // The runs the list shows for this filter: system functions' only when it includes them.
  const system = filter.includeSystem || filter.functionId ? [] : await systemFunctionIds();
  do {
    const q = runsQuery(scope, operator, { ...filter, status: ["failed"], limit: 200, cursor }, system);
    const page = await runsApi<{ data: RunSummary[]; cursor?: string | null }>(`/v1/runs?${q}`);
    ids.push(...page.data.map((r) => r.run_id));
    cursor = page.cursor ?? undefined;
  } while (cursor && ids.length < MAX_BULK_REPLAY);
  return { ids: ids.slice(0, MAX_BULK_REPLAY), capped: ids.length > MAX_BULK_REPLAY || Boolean(cursor), notFailed: [] };
}

/** Picked runs: the failed ones are replayed; any other (it ended well, or is still going) is skipped, saying so. */
async function pickedFailedRuns(scope: Scope, operator: boolean, runIds: string[]) {
  const statuses = new Array<string>(runIds.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < runIds.length; i = next++) statuses[i] = (await scopedRun(scope, operator, runIds[i] as string)).status;
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUPS_AT_ONCE, runIds.length) }, worker));
  const ids = runIds.filter((_, i) => statuses[i] === "Failed");
  const notFailed = runIds.flatMap((runId, i) =>
    statuses[i] === "Failed" ? [] : [{ runId, jobId: null, reason: `it did not fail (${String(statuses[i]).toLowerCase()})` }],
  );
  return { ids, capped: false, notFailed };
}

/** Each run's job (null for a run of no job), newest run first as listed; a few lookups at a time. */
async function jobsOfRuns(scope: Scope, operator: boolean, runIds: string[]): Promise<Array<{ runId: string; jobId: string | null }>> {
  const out: Array<{ runId: string; jobId: string | null }> = new Array(runIds.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < runIds.length; i = next++) {
      const runId = runIds[i] as string;
      out[i] = { runId, jobId: jobOfRun(await scopedRun(scope, operator, runId)) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUPS_AT_ONCE, runIds.length) }, worker));
  return out;
}

interface Plan {
  jobs: Array<{ runId: string; jobId: string }>;
  runs: string[];
  skipped: SkippedReplay[];
}

/**
 * What a bulk replay does with each failed run: a job is replayed once, from its newest failed run, and only if it is
 * still FAILED and nothing replays it yet; any other run is replayed in Inngest.
 */
async function plan(scope: Scope, runs: Array<{ runId: string; jobId: string | null }>): Promise<Plan> {
  const jobIds = [...new Set(runs.flatMap((r) => (r.jobId ? [r.jobId] : [])))];
  const [jobs, replays] = jobIds.length
    ? await Promise.all([
        db().job.findMany({ where: { id: { in: jobIds }, orgId: scope.orgId }, select: { id: true, status: true, attempt: true } }),
        db().job.findMany({
          where: { orgId: scope.orgId, replayOfId: { in: jobIds } },
          select: { id: true, replayOfId: true },
          orderBy: { createdAt: "asc" },
        }),
      ])
    : [[], []];
  const jobById = new Map(jobs.map((j) => [j.id, j]));
  const replayOf = new Map(replays.map((r) => [r.replayOfId as string, r.id]));
  const out: Plan = { jobs: [], runs: [], skipped: [] };
  const planned = new Set<string>();
  for (const { runId, jobId } of runs) {
    if (!jobId) {
      out.runs.push(runId);
      continue;
    }
    const job = jobById.get(jobId);
    const skip = (reason: string) => out.skipped.push({ runId, jobId, reason });
    if (planned.has(jobId)) skip("an earlier attempt of a job this replay replays once");
    else if (!job) skip("its job is not in your organization (or was deleted)");
    else if (replayOf.has(jobId)) skip(`its job was already replayed as job ${replayOf.get(jobId)}`);
    else if (job.status !== "FAILED") skip(`its job was retried and is ${job.status} now (attempt ${job.attempt})`);
    else {
      planned.add(jobId);
      out.jobs.push({ runId, jobId });
    }
  }
  return out;
}

/**
 * Replays the failed runs matching a filter (at most 1,000 looked at) or picked one by one (`runIds`, at most 200),
 * or only says what it would do (preview):
 * one new job per failed job however many of its runs failed, nothing for a job already replayed or retried, and a
 * new Inngest run for each failed run of no job. Two replays at once (a double click) still make one job per job.
 */
export async function replayFailedRuns(scope: Scope, operator: boolean, raw: z.input<typeof replayFailedInput>): Promise<BulkReplayResult> {
  const filter = parseInput(replayFailedInput, raw);
  if (!filter.preview) requireRole(scope, "member", "replaying failed runs");
  const { ids, capped, notFailed } = await failedRunIds(scope, operator, filter);
  const todo = await plan(scope, await jobsOfRuns(scope, operator, ids));
  const result: BulkReplayResult = {
    matched: ids.length,
    toReplay: todo.jobs.length + todo.runs.length,
    replayed: 0,
    skipped: [...notFailed, ...todo.skipped],
    capped,
  };
  if (filter.preview) return result;
  for (const { runId, jobId } of todo.jobs) {
    const { job, created } = await replayJob(scope, jobId, { idempotencyKey: bulkReplayKey(jobId) });
    if (created) result.replayed++;
    else result.skipped.push({ runId, jobId, reason: `its job was already replayed as job ${job.id}` });
  }
  for (const runId of todo.runs) {
    try {
      // `once`: a run that has a replay already is not replayed again (409). Each replay is its own change, recorded
      // with it (as each job's replay is, by its create).
      await auditedRemote(scope, async () => {
        const { data } = await runsApi<{ data: { run_id: string } }>(`/v1/runs/${runId}/replay`, { method: "POST", body: { once: true } });
        return {
          result: null,
          audit: { action: "run.replay", targetType: "run", targetId: runId, after: { runId: data.run_id, bulk: true } },
        };
      });
      result.replayed++;
    } catch (err) {
      if (!(err instanceof AppError) || !["CONFLICT", "NOT_FOUND"].includes(err.code)) throw err;
      result.skipped.push({ runId, jobId: null, reason: err.message });
    }
  }
  return result;
}
