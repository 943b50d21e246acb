import { Prisma } from "@/generated/prisma/client";
import type { JobStatus, StepKind, StepStatus } from "@/generated/prisma/enums";
import { db } from "../../db";
import { directQuery } from "../../db-direct";
import { ACTIVE, transitionJob } from "./job-status";
import { errorView, storedJsonText, truncateJson } from "./stored-values";

/**
 * What the job-tracking middleware writes while a job's function runs. Every status change is guarded by the
 * current status, so a late request never revives a CANCELLED job or reopens a finished one, and by the
 * organization the event speaks for, so an event naming another organization's job changes nothing.
 */

/** A job as an event names it: its id and the organization the event was sent for (`data.jobId`, `data.orgId`). */
export interface JobRef {
  jobId: string;
  orgId: string;
  /**
   * The attempt the event started (`data.jobAttempt` of a start event), when it says: the run's final outcome then
   * changes only that attempt, so a failure reported late for attempt 1 cannot fail the retry that followed it.
   */
  attempt?: number;
}

/** The job an event names, when it names one completely; Inngest's own events and raw events name none. */
export function jobRefOf(data: unknown): JobRef | undefined {
  const d = data as { jobId?: unknown; orgId?: unknown; jobAttempt?: unknown } | undefined;
  if (typeof d?.jobId !== "string" || !d.jobId || typeof d.orgId !== "string" || !d.orgId) return undefined;
  const attempt = Number.isSafeInteger(d.jobAttempt) ? (d.jobAttempt as number) : undefined;
  return { jobId: d.jobId, orgId: d.orgId, ...(attempt === undefined ? {} : { attempt }) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Job ids are UUIDs: anything else names no job (and would make PostgreSQL reject the statement). */
const valid = (ref: JobRef) => UUID.test(ref.jobId);
const jobOf = (ref: JobRef) => ({ id: ref.jobId, orgId: ref.orgId, attempt: ref.attempt });
/** When a request of the job's run began: written as RUNNING with the request's first change (run-start.ts). */
export interface RunStart {
  runId: string;
  startedAt: Date;
}

/** The job's status as a request of its run begins, or null when it is not a job of the organization the event names. */
export async function readJobStatus(ref: JobRef): Promise<JobStatus | null> {
  if (!valid(ref)) return null;
  const rows = await directQuery<{ status: JobStatus }>(Prisma.sql`
    SELECT "status" FROM "Job" WHERE "id" = ${ref.jobId}::uuid AND "orgId" = ${ref.orgId}`);
  return rows[0]?.status ?? null;
}

const ACTIVE_SQL = Prisma.sql`ARRAY[${Prisma.join([...ACTIVE])}]::"JobStatus"[]`;

/** The number of distinct step.run names completed in the run `runId` of the job `j`. */
const completedStepsOfRun = (runId: string) => Prisma.sql`(
    SELECT count(DISTINCT s."name") FROM "JobStep" s
      WHERE s."jobId" = j."id" AND s."runId" = ${runId} AND s."status" = 'COMPLETED' AND s."kind" = 'RUN')::int`;

/**
 * What a start sets on the job `j` besides its status: this run, started when the request began (unless earlier),
 * and its completed steps counted, because the steps a request finishes before its start is written are written
 * without touching the job (see recordStepRan).
 */
const startedOnRun = (start: RunStart) =>
  Prisma.sql`"runId" = ${start.runId}, "startedAt" = COALESCE(j."startedAt", ${start.startedAt}::timestamp(3)),
    "stepsCompleted" = ${completedStepsOfRun(start.runId)}`;

/** A request of the job's run began (its steps so far wrote only their rows): RUNNING with a fresh heartbeat, if still active. */
export async function recordRunStarted(ref: JobRef, start: RunStart): Promise<void> {
  if (!valid(ref)) return;
  await directQuery(Prisma.sql`
    UPDATE "Job" j SET "status" = 'RUNNING', ${startedOnRun(start)}, "heartbeatAt" = now(), "updatedAt" = now()
    WHERE j."id" = ${ref.jobId}::uuid AND j."orgId" = ${ref.orgId} AND j."status" = ANY(${ACTIVE_SQL})`);
}

/** Sleeping, waiting for an event or in retry backoff. */
export async function recordWaiting(ref: JobRef, lastError?: unknown): Promise<void> {
  if (valid(ref)) await transitionJob(db(), jobOf(ref), ["QUEUED", "RUNNING"], { to: "WAITING", lastError });
}

/**
 * The function returned: COMPLETED with its output, if the job is still active (and on the event's attempt). `start`
 * is the request's start when nothing wrote it yet: a short request goes from QUEUED to COMPLETED in this one write.
 */
export async function recordCompleted(ref: JobRef, output: unknown, start?: RunStart): Promise<void> {
  if (!valid(ref)) return;
  const now = new Date();
  await directQuery(Prisma.sql`
    UPDATE "Job" j SET "status" = 'COMPLETED', "result" = ${storedJsonText(output)}::jsonb, "error" = NULL,
      "finishedAt" = ${now}::timestamp(3), "heartbeatAt" = ${now}::timestamp(3), "updatedAt" = now()
      ${start ? Prisma.sql`, ${startedOnRun(start)}` : Prisma.empty}
    WHERE j."id" = ${ref.jobId}::uuid AND j."orgId" = ${ref.orgId} AND j."status" = ANY(${ACTIVE_SQL})
      ${ref.attempt === undefined ? Prisma.empty : Prisma.sql`AND j."attempt" = ${ref.attempt}::int`}`);
}

/** Final failure (retries exhausted, or not retriable). A cancelled job stays CANCELLED. */
export async function recordFailed(ref: JobRef, err: unknown): Promise<void> {
  if (valid(ref)) await transitionJob(db(), jobOf(ref), ACTIVE, { to: "FAILED", error: err });
}

/** A step row just opened: its id and when it started. */
export interface StartedStep {
  id: string;
  startedAt: Date;
}

/**
 * The statement part (used after a `job` CTE holding the job's id) that closes a row of the same step still RUNNING
 * from an earlier request: that request died with the app (kill -9, a deploy), so the row ends ERRORED
 * "interrupted" and the timeline never shows a step running forever.
 */
function closeInterrupted(step: { runId: string; stepId?: string }): Prisma.Sql {
  return Prisma.sql`
    UPDATE "JobStep" SET "status" = 'ERRORED', "finishedAt" = now(),
      "durationMs" = GREATEST(0, floor(extract(epoch FROM now() - "startedAt") * 1000))::int,
      "error" = '{"name":"Interrupted","message":"the request running this step ended without an answer (the app stopped); the step ran again"}'::jsonb
    WHERE "jobId" IN (SELECT "id" FROM job) AND "runId" = ${step.runId} AND "stepId" = ${step.stepId ?? null}
      AND "status" = 'RUNNING' AND "kind" = 'RUN'`;
}

/**
 * Opens a step row (started now, or at `startedAt` when the step began earlier), closing an interrupted one of the
 * same step in the same statement; undefined (nothing written) when the job is not this organization's.
 */
export async function recordStepStarted(
  ref: JobRef,
  step: { name: string; kind: StepKind; attempt: number; runId: string; stepId?: string; startedAt?: Date },
): Promise<StartedStep | undefined> {
  if (!valid(ref)) return undefined;
  const rows = await db().$queryRaw<StartedStep[]>`
    WITH job AS (SELECT "id" FROM "Job" WHERE "id" = ${ref.jobId}::uuid AND "orgId" = ${ref.orgId}),
    interrupted AS (${closeInterrupted(step)})
    INSERT INTO "JobStep" ("id", "jobId", "name", "stepId", "kind", "attempt", "runId", "status", "startedAt")
    SELECT gen_random_uuid(), "id", ${step.name}, ${step.stepId ?? null}, ${step.kind}::"StepKind", ${step.attempt}, ${step.runId}, 'RUNNING',
      COALESCE(${step.startedAt ?? null}::timestamp(3), now()::timestamp(3))
      FROM job
    RETURNING "id", "startedAt"`;
  return rows[0];
}

/** How a step attempt ended: its status and what it returned or threw. */
export interface StepOutcome {
  status: Exclude<StepStatus, "RUNNING">;
  output?: unknown;
  error?: unknown;
}

const outcomeColumns = (outcome: StepOutcome) => ({
  output: outcome.status === "COMPLETED" ? storedJsonText(outcome.output) : null,
  error: outcome.error === undefined ? null : storedJsonText(errorView(outcome.error)),
});

/**
 * The end of a statement whose `done` CTE returns a step row just closed or written: with `updateJob`, when it is a
 * completed step.run, the job's count of distinct completed steps in that run, recounted, and a fresh heartbeat. The
 * statement reads the table as it was before it ran, so the count leaves the row out and adds its name. Without it
 * the statement writes the row alone: a request whose RUNNING change is still unwritten leaves the job to that
 * change, which counts the run's steps (startedOnRun), so a short run writes Job once while it runs, with its outcome.
 */
function recountFromDone(updateJob: boolean): Prisma.Sql {
  if (!updateJob) return Prisma.sql`SELECT 1 FROM done`;
  const recount = Prisma.sql`(
      SELECT count(DISTINCT n) FROM (
        SELECT s."name" AS n FROM "JobStep" s
          WHERE s."jobId" = done."jobId" AND s."runId" = done."runId" AND s."status" = 'COMPLETED' AND s."kind" = 'RUN' AND s."id" <> done."id"
        UNION ALL SELECT done."name"
      ) names)`;
  return Prisma.sql`
    UPDATE "Job" j SET "heartbeatAt" = now(), "stepsCompleted" = ${recount}
    FROM done
    WHERE j."id" = done."jobId" AND j."runId" = done."runId" AND done."status" = 'COMPLETED' AND done."kind" = 'RUN'`;
}

/**
 * Closes an open step row and, with `updateJob`, for a completed step.run, recounts the run's distinct completed
 * steps on the job: one statement. (The recount reads the table as it was before this statement, so it adds this row's name.)
 */
export async function recordStepFinished(step: StartedStep, outcome: StepOutcome, updateJob = true): Promise<void> {
  const now = new Date();
  const { output, error } = outcomeColumns(outcome);
  await directQuery(Prisma.sql`
    WITH done AS (
      UPDATE "JobStep" SET "status" = ${outcome.status}::"StepStatus", "finishedAt" = ${now}::timestamp(3),
        "durationMs" = ${now.getTime() - step.startedAt.getTime()}::int, "output" = ${output}::jsonb, "error" = ${error}::jsonb
      WHERE "id" = ${step.id}::uuid
      RETURNING "id", "jobId", "runId", "name", "kind", "status"
    )
    ${recountFromDone(updateJob)}`);
}

/**
 * A step attempt that ran and ended before its row was ever opened (most steps: see the job-tracking middleware),
 * written as one finished row in one statement: the organization check, closing an interrupted row of the same
 * step, the row, and (with `updateJob`) the recount of completed steps. Nothing is written for a job that is not
 * this organization's.
 */
export async function recordStepRan(
  ref: JobRef,
  step: { name: string; kind: StepKind; attempt: number; runId: string; stepId?: string; startedAt: Date },
  outcome: StepOutcome,
  updateJob = true,
): Promise<void> {
  if (!valid(ref)) return;
  const now = new Date();
  const { output, error } = outcomeColumns(outcome);
  await directQuery(Prisma.sql`
    WITH job AS (SELECT "id" FROM "Job" WHERE "id" = ${ref.jobId}::uuid AND "orgId" = ${ref.orgId}),
    interrupted AS (${closeInterrupted(step)}),
    done AS (
      INSERT INTO "JobStep" ("id", "jobId", "name", "stepId", "kind", "attempt", "runId", "status", "startedAt", "finishedAt", "durationMs", "output", "error")
      SELECT gen_random_uuid(), "id", ${step.name}, ${step.stepId ?? null}, ${step.kind}::"StepKind", ${step.attempt}, ${step.runId},
        ${outcome.status}::"StepStatus", ${step.startedAt}::timestamp(3), ${now}::timestamp(3), ${now.getTime() - step.startedAt.getTime()}::int, ${output}::jsonb, ${error}::jsonb
        FROM job
      RETURNING "id", "jobId", "runId", "name", "kind", "status"
    )
    ${recountFromDone(updateJob)}`);
}

/** The run parked on a sleep, wait or invoke: one open row for it (a re-reported op does not add another). */
export async function recordParked(ref: JobRef, step: { name: string; kind: StepKind; attempt: number; runId: string }): Promise<void> {
  if (!valid(ref)) return;
  const open = await db().jobStep.findFirst({
    where: { jobId: ref.jobId, job: { orgId: ref.orgId }, runId: step.runId, name: step.name, status: "RUNNING" },
  });
  if (!open) await recordStepStarted(ref, step);
}

/** A sleep, wait or invoke the run was parked on has resolved (seen as memoized on a later request). */
export async function recordParkedStepDone(ref: JobRef, runId: string, name: string, output: unknown): Promise<void> {
  if (!valid(ref)) return;
  const open = await db().jobStep.findFirst({
    where: { jobId: ref.jobId, job: { orgId: ref.orgId }, runId, name, status: "RUNNING", kind: { not: "RUN" } },
    orderBy: { startedAt: "desc" },
  });
  if (open) await recordStepFinished(open, { status: "COMPLETED", output });
}

/** Intermediate progress a function wants visible while it runs (e.g. `{phase: "processing"}`), kept in `result`. */
export async function recordJobResultPreview(ref: JobRef, preview: Record<string, unknown>): Promise<void> {
  if (!valid(ref)) return;
  await db().job.updateMany({
    where: { id: ref.jobId, orgId: ref.orgId, status: { in: [...ACTIVE] } },
    data: { result: truncateJson(preview), heartbeatAt: new Date() },
  });
}

/** The run was cancelled by Inngest (cancelOn, the dashboard, the API): the job ends CANCELLED. */
export async function recordCancelled(ref: JobRef, reason: string): Promise<void> {
  if (!valid(ref)) return;
  await db().$transaction(async (tx) => {
    if (await transitionJob(tx, jobOf(ref), ACTIVE, { to: "CANCELLED", reason })) await closeOpenSteps(tx, ref.jobId);
  });
}

/**
 * A cancelled job's steps that were still open (a sleep, a wait, a step cut short) end CANCELLED, so the timeline
 * does not show a dead job sleeping forever. A step.run that does finish afterwards still records its real outcome.
 */
export async function closeOpenSteps(client: Prisma.TransactionClient, jobIds: string | readonly string[]): Promise<void> {
  const ids = typeof jobIds === "string" ? [jobIds] : [...jobIds];
  await client.$executeRaw`
    UPDATE "JobStep" SET "status" = 'CANCELLED', "finishedAt" = now(),
      "durationMs" = GREATEST(0, floor(extract(epoch FROM now() - "startedAt") * 1000))::int
    WHERE "jobId" = ANY(${ids}::uuid[]) AND "status" = 'RUNNING'`;
}
