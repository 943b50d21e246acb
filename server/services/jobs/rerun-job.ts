import { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import { AppError } from "../../errors";
import { requireRole, type Scope } from "../../identity";
import { AUDIT_COLUMNS, auditRowSql } from "../audit/record-audit";
import { runsApi } from "../runs/engine-runs";
import { findScopedJob } from "./find-job";
import { isRetryable, RETRYABLE } from "./job-status";
import { type JobView, toJobView } from "./job-view";

/**
 * Runs a FAILED or CANCELLED job again from one of its steps: Inngest replays the job's last run from that step (the
 * steps before it are taken from the run's recorded outputs and not executed again), and the job goes back to
 * QUEUED for the new run (queuedAt: its queue latency starts now, not at the attempt's start event). The attempt stays
 * the same, since the new run carries the same start event. If Inngest
 * refuses (an unknown step, an Inngest without rerun-from-step), the job is put back as it was and the action leaves
 * no audit row.
 */
export async function rerunJobFromStep(
  scope: Scope,
  id: string,
  fromStep: string,
  runId?: string,
): Promise<{ job: JobView; runId: string }> {
  requireRole(scope, "member", "rerunning a job");
  const job = await findScopedJob(db(), scope, id);
  if (!isRetryable(job.status)) {
    throw new AppError("CONFLICT", `job ${id} is ${job.status}; only FAILED or CANCELLED jobs can be rerun from a step`);
  }
  const from = runId ?? job.runId;
  if (!from) throw new AppError("CONFLICT", `job ${id} has no run to rerun from`);
  if (from !== job.runId) throw new AppError("CONFLICT", `run ${from} is not job ${id}'s latest run; rerun from its latest run`);
  // The job goes back to QUEUED, with its audit row, before Inngest starts the new run (whose first request finds it
  // QUEUED); if Inngest refuses, both are undone. (Not one transaction around Inngest's answer: the embedded database
  // serves one transaction at a time, and the engine writes to it while it answers.)
  const auditId = await db().$transaction(async (tx) => {
    const moved = await tx.job.updateMany({
      where: { id: job.id, orgId: scope.orgId, status: { in: [...RETRYABLE] }, attempt: job.attempt },
      data: {
        status: "QUEUED",
        queuedAt: new Date(),
        replayCount: { increment: 1 },
        runId: null,
        result: Prisma.DbNull,
        error: Prisma.DbNull,
        stepsCompleted: 0,
        startedAt: null,
        finishedAt: null,
        heartbeatAt: null,
        cancelRequestedAt: null,
      },
    });
    if (!moved.count) throw new AppError("CONFLICT", `job ${id} changed while it was being rerun; try again`);
    const rows = await tx.$queryRaw<Array<{ id: bigint }>>`
      INSERT INTO "AuditEvent" ${AUDIT_COLUMNS} VALUES ${auditRowSql(scope, {
        action: "job.rerunFromStep",
        targetType: "job",
        targetId: job.id,
        before: { status: job.status, runId: from },
        after: { status: "QUEUED", fromStep },
      })} RETURNING "id"`;
    return rows[0]?.id as bigint;
  });
  let started: { data: { run_id: string } };
  try {
    started = await runsApi(`/v1/runs/${from}/replay`, { method: "POST", body: { from_step: fromStep } });
  } catch (err) {
    await db().$transaction([
      db().job.updateMany({
        where: { id: job.id, orgId: scope.orgId, status: "QUEUED", runId: null },
        data: {
          status: job.status,
          queuedAt: job.queuedAt,
          replayCount: job.replayCount,
          result: job.result ?? Prisma.DbNull,
          error: job.error ?? Prisma.DbNull,
          runId: job.runId,
          stepsCompleted: job.stepsCompleted,
          startedAt: job.startedAt,
          finishedAt: job.finishedAt,
          heartbeatAt: job.heartbeatAt,
          cancelRequestedAt: job.cancelRequestedAt,
        },
      }),
      db().auditEvent.deleteMany({ where: { id: auditId } }),
    ]);
    throw err;
  }
  const runIdStarted = started.data.run_id;
  return { job: toJobView(await db().job.findUniqueOrThrow({ where: { id: job.id } })), runId: runIdStarted };
}
