import { Prisma } from "@/generated/prisma/client";
import type { JobStatus, StepKind, StepStatus } from "@/generated/prisma/enums";
import { db } from "../../db";

/**
 * What the job-tracking middleware writes while a job's function runs. Every status change is guarded by the
 * current status, so a late request never revives a CANCELLED job or reopens a finished one.
 */

const MAX_JSON_CHARS = 8_000;

/** Step outputs and errors are kept for the console, cut to a readable size. */
export function truncateJson(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  if (value === undefined || value === null) return Prisma.DbNull;
  const text = JSON.stringify(value);
  if (text === undefined) return Prisma.DbNull;
  if (text.length <= MAX_JSON_CHARS) return JSON.parse(text) as Prisma.InputJsonValue;
  return { truncated: true, length: text.length, preview: text.slice(0, MAX_JSON_CHARS) };
}

export interface ErrorView {
  name: string;
  message: string;
  stack?: string;
}

export function errorView(err: unknown): ErrorView {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack?.split("\n").slice(0, 12).join("\n") };
  if (err && typeof err === "object" && "message" in err) {
    const e = err as { name?: unknown; message?: unknown; stack?: unknown };
    return { name: String(e.name ?? "Error"), message: String(e.message), ...(e.stack ? { stack: String(e.stack) } : {}) };
  }
  return { name: "Error", message: String(err) };
}

/**
 * A request of the job's run began: RUNNING with a fresh heartbeat. Returns the job's status afterwards, or null
 * when no such job exists (the event did not come from the job service).
 */
export async function recordRunActive(jobId: string, runId: string): Promise<JobStatus | null> {
  const rows = await db().$queryRaw<Array<{ status: JobStatus }>>`
    UPDATE "Job" SET "status" = 'RUNNING', "runId" = ${runId}, "startedAt" = COALESCE("startedAt", now()),
      "heartbeatAt" = now(), "updatedAt" = now()
    WHERE "id" = ${jobId}::uuid AND "status" IN ('QUEUED', 'RUNNING', 'WAITING')
    RETURNING "status"`;
  if (rows[0]) return rows[0].status;
  const job = await db().job.findUnique({ where: { id: jobId }, select: { status: true } });
  return job?.status ?? null;
}

/** Sleeping, waiting for an event or in retry backoff. */
export async function recordWaiting(jobId: string, lastError?: unknown): Promise<void> {
  await db().job.updateMany({
    where: { id: jobId, status: { in: ["QUEUED", "RUNNING"] } },
    data: { status: "WAITING", heartbeatAt: new Date(), ...(lastError ? { error: truncateJson(errorView(lastError)) } : {}) },
  });
}

export async function recordCompleted(jobId: string, output: unknown): Promise<void> {
  const now = new Date();
  await db().job.updateMany({
    where: { id: jobId, status: { in: ["QUEUED", "RUNNING", "WAITING"] } },
    data: { status: "COMPLETED", result: truncateJson(output), error: Prisma.DbNull, finishedAt: now, heartbeatAt: now },
  });
}

/** Final failure (retries exhausted, or not retriable). A cancelled job stays CANCELLED. */
export async function recordFailed(jobId: string, err: unknown): Promise<void> {
  const now = new Date();
  await db().job.updateMany({
    where: { id: jobId, status: { in: ["QUEUED", "RUNNING", "WAITING"] } },
    data: { status: "FAILED", error: truncateJson(errorView(err)), finishedAt: now, heartbeatAt: now, failureAcknowledgedAt: null },
  });
}

/** A step row just opened: its id and when it started. */
export interface StartedStep {
  id: string;
  startedAt: Date;
}

export async function recordStepStarted(
  jobId: string,
  step: { name: string; kind: StepKind; attempt: number; runId: string },
): Promise<StartedStep> {
  return db().jobStep.create({
    data: { jobId, name: step.name, kind: step.kind, attempt: step.attempt, runId: step.runId, status: "RUNNING" },
    select: { id: true, startedAt: true },
  });
}

export async function recordStepFinished(
  step: StartedStep,
  outcome: { status: Exclude<StepStatus, "RUNNING">; output?: unknown; error?: unknown },
): Promise<void> {
  // One statement on the step path: the start time comes from the caller, not from reading the row back.
  const now = new Date();
  const row = await db().jobStep.update({
    where: { id: step.id },
    data: {
      status: outcome.status,
      finishedAt: now,
      durationMs: now.getTime() - step.startedAt.getTime(),
      output: outcome.status === "COMPLETED" ? truncateJson(outcome.output) : Prisma.DbNull,
      error: outcome.error === undefined ? Prisma.DbNull : truncateJson(errorView(outcome.error)),
    },
    select: { jobId: true, runId: true, kind: true },
  });
  if (outcome.status === "COMPLETED" && row.kind === "RUN" && row.runId) await refreshStepsCompleted(row.jobId, row.runId);
}

/** The run parked on a sleep, wait or invoke: one open row for it (a re-reported op does not add another). */
export async function recordParked(jobId: string, step: { name: string; kind: StepKind; attempt: number; runId: string }): Promise<void> {
  const open = await db().jobStep.findFirst({ where: { jobId, runId: step.runId, name: step.name, status: "RUNNING" } });
  if (!open) await recordStepStarted(jobId, step);
}

/** A sleep, wait or invoke the run was parked on has resolved (seen as memoized on a later request). */
export async function recordParkedStepDone(jobId: string, runId: string, name: string, output: unknown): Promise<void> {
  const open = await db().jobStep.findFirst({
    where: { jobId, runId, name, status: "RUNNING", kind: { not: "RUN" } },
    orderBy: { startedAt: "desc" },
  });
  if (open) await recordStepFinished(open, { status: "COMPLETED", output });
}

/** Distinct step names completed in this run: exact even if a step re-ran after a lost answer. */
async function refreshStepsCompleted(jobId: string, runId: string): Promise<void> {
  await db().$executeRaw`
    UPDATE "Job" SET "stepsCompleted" = (
      SELECT count(DISTINCT "name") FROM "JobStep" WHERE "jobId" = ${jobId}::uuid AND "runId" = ${runId} AND "status" = 'COMPLETED' AND "kind" = 'RUN'
    ), "heartbeatAt" = now()
    WHERE "id" = ${jobId}::uuid AND "runId" = ${runId}`;
}

/** Intermediate progress a function wants visible while it runs (e.g. `{phase: "processing"}`), kept in `result`. */
export async function recordJobResultPreview(jobId: string, preview: Record<string, unknown>): Promise<void> {
  await db().job.updateMany({
    where: { id: jobId, status: { in: ["QUEUED", "RUNNING", "WAITING"] } },
    data: { result: truncateJson(preview), heartbeatAt: new Date() },
  });
}

/** The run was cancelled by Inngest (cancelOn, the dashboard, the API): the job ends CANCELLED. */
export async function recordCancelled(jobId: string, reason: string): Promise<void> {
  const now = new Date();
  await db().$transaction(async (tx) => {
    const { count } = await tx.job.updateMany({
      where: { id: jobId, status: { in: ["QUEUED", "RUNNING", "WAITING"] } },
      data: { status: "CANCELLED", finishedAt: now, cancelRequestedAt: now, error: { name: "Cancelled", message: reason } },
    });
    if (count) await closeOpenSteps(tx, jobId);
  });
}

/**
 * A cancelled job's steps that were still open (a sleep, a wait, a step cut short) end CANCELLED, so the timeline
 * does not show a dead job sleeping forever. A step.run that does finish afterwards still records its real outcome.
 */
export async function closeOpenSteps(client: Prisma.TransactionClient, jobId: string): Promise<void> {
  await client.$executeRaw`
    UPDATE "JobStep" SET "status" = 'CANCELLED', "finishedAt" = now(),
      "durationMs" = GREATEST(0, floor(extract(epoch FROM now() - "startedAt") * 1000))::int
    WHERE "jobId" = ${jobId}::uuid AND "status" = 'RUNNING'`;
}
