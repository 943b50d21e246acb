import { Middleware } from "inngest";
import type { StepKind } from "@/generated/prisma/enums";
import { isActive } from "@/jobs/status";
import { log } from "@/server/log";
import {
  type JobRef,
  jobRefOf,
  type RunStart,
  readJobStatus,
  recordCompleted,
  recordFailed,
  recordParked,
  recordParkedStepDone,
  recordWaiting,
} from "@/server/services/jobs/record-progress";
import { DeferredRunStart } from "./run-start";
import { StepRow } from "./step-row";

const KINDS: Record<string, StepKind> = {
  run: "RUN",
  sendEvent: "SEND_EVENT",
  sleep: "SLEEP",
  waitForEvent: "WAIT_FOR_EVENT",
  invoke: "INVOKE",
};
/** Ops after which the run is parked until a time, an event or another run, by their wire names. */
const PARKING_OPS: Record<string, StepKind> = { Sleep: "SLEEP", WaitForEvent: "WAIT_FOR_EVENT", InvokeFunction: "INVOKE" };
const PARKING = new Set<StepKind>(Object.values(PARKING_OPS));

/**
 * The job behind a run: the job service puts `jobId` and `orgId` into every event it sends; Inngest's own events
 * have none. Every write below is scoped to that organization, so an event naming another organization's job
 * (or a job id with no organization) changes nothing.
 */
function jobOf(event: { name?: string; data?: unknown } | undefined): JobRef | undefined {
  if (!event || event.name?.startsWith("inngest/")) return undefined;
  return jobRefOf(event.data);
}

/** An event that names a job (has a jobId) but not one of its own organization's. */
function claimsJob(event: { name?: string; data?: unknown } | undefined): boolean {
  const id = (event?.data as { jobId?: unknown } | undefined)?.jobId;
  return !event?.name?.startsWith("inngest/") && id !== undefined && id !== null && id !== "";
}

const stepName = (info: { options: { id: string; name?: string } }) => info.options.name ?? info.options.id;

/**
 * Records every function's progress on its Job row and one JobStep row per step execution (each attempt), for
 * any function whose triggering event names a job. Runs inside the app's own process, so it works the same
 * against the embedded engine, the Dev Server and Inngest Cloud. A fresh instance serves each request.
 */
export class JobTracking extends Middleware.BaseMiddleware {
  readonly id = "jobdeck-job-tracking";
  /** JobStep rows of the step attempts running in this request, by hashed step id. */
  private readonly openSteps = new Map<string, StepRow>();
  /** This request's RUNNING change, written with its first other write (run-start.ts); none for a job not active. */
  private start?: DeferredRunStart;

  override async wrapFunctionHandler({ ctx, next }: Middleware.WrapFunctionHandlerArgs): Promise<unknown> {
    const job = jobOf(ctx.event);
    if (!job) {
      if (!claimsJob(ctx.event)) return next();
      return this.ignore(ctx, "the event names a job but no organization");
    }
    const status = await readJobStatus(job);
    // Not a job of the organization the event speaks for: a forged or misrouted event does no work at all.
    if (status === null) return this.ignore(ctx, `job ${job.jobId} is not a job of ${job.orgId}`);
    // Cancelled before this request: do no more work (cancelOn ends the run too, but may arrive later).
    if (status === "CANCELLED") return { cancelled: true, jobId: job.jobId };
    if (isActive(status)) this.start = new DeferredRunStart(job, ctx.runId);
    const output = await next();
    // A failure to record completion fails the request, so Inngest retries it and the write happens then. A short
    // request goes from QUEUED to COMPLETED in this one write.
    await this.carryStart((start) => recordCompleted(job, output, start));
    return output;
  }

  /** Runs a write that can carry the request's RUNNING change (with it when it is still unwritten). */
  private carryStart(write: (start: RunStart | undefined) => Promise<void>): Promise<void> {
    return this.start ? this.start.carry(write) : write(undefined);
  }

  /** Writes the request's RUNNING change first, before a write that cannot carry it. */
  private async flushStart(): Promise<void> {
    await this.start?.flush();
  }

  private ignore(ctx: { event: { name?: string; id?: string }; runId: string }, reason: string) {
    log.warn(
      { event: ctx.event.name, eventId: ctx.event.id, runId: ctx.runId, reason },
      "ignored an event that names a job it does not own",
    );
    return { ignored: true, reason };
  }

  /**
   * A request that ends with a sleep, wait or invoke op parks the run: record the step and WAITING. Read from the
   * response, because the SDK reports a newly found sleep or wait without running any per-step hook for it.
   */
  override async wrapRequest({ next, requestInfo, runId }: Middleware.WrapRequestArgs): Promise<Middleware.Response> {
    const res = await next();
    // Whatever the request wrote, its job is marked as started by the time it answers.
    await this.flushStart();
    if (res.status !== 206 || !res.body.includes('"op"')) return res;
    let ops: unknown;
    try {
      ops = JSON.parse(res.body);
    } catch {
      return res;
    }
    const parked = (Array.isArray(ops) ? ops : []).filter((o): o is { op: string; id: string; name?: string; displayName?: string } =>
      Boolean(o && typeof o === "object" && PARKING_OPS[(o as { op?: string }).op ?? ""]),
    );
    if (!parked.length) return res;
    const body = (await requestInfo.body()) as { event?: { name?: string; data?: unknown }; ctx?: { attempt?: number } } | undefined;
    const job = jobOf(body?.event);
    if (!job) return res;
    for (const op of parked) {
      await recordParked(job, {
        name: op.displayName ?? op.name ?? op.id,
        kind: PARKING_OPS[op.op] as StepKind,
        attempt: body?.ctx?.attempt ?? 0,
        runId,
      });
    }
    await recordWaiting(job);
    return res;
  }

  /** A parked step seen as memoized on a later request has resolved: close its row with the result. */
  override async wrapStep({ ctx, stepInfo, next }: Middleware.WrapStepArgs): Promise<unknown> {
    const job = jobOf(ctx.event);
    const kind = KINDS[String(stepInfo.stepType)] ?? "OTHER";
    if (!job || !PARKING.has(kind) || !stepInfo.memoized) return next();
    const output = await next();
    await recordParkedStepDone(job, ctx.runId, stepName(stepInfo), output);
    return output;
  }

  override async wrapStepHandler({ ctx, stepInfo, next }: Middleware.WrapStepHandlerArgs): Promise<unknown> {
    const job = jobOf(ctx.event);
    if (!job) return next();
    const kind = KINDS[String(stepInfo.stepType)] ?? "OTHER";
    const row = new StepRow(job, { name: stepName(stepInfo), kind, attempt: ctx.attempt, runId: ctx.runId, stepId: stepInfo.hashedId });
    this.openSteps.set(stepInfo.hashedId, row);
    let output: unknown;
    try {
      output = await next();
    } catch (err) {
      row.stopOpening();
      throw err;
    }
    this.openSteps.delete(stepInfo.hashedId);
    await row.finish({ status: "COMPLETED", output }, this.start);
    return output;
  }

  override async onStepError({ ctx, error, isFinalAttempt, stepInfo }: Middleware.OnStepErrorArgs): Promise<void> {
    const job = jobOf(ctx.event);
    const row = this.openSteps.get(stepInfo.hashedId);
    if (!job || !row) return;
    this.openSteps.delete(stepInfo.hashedId);
    await row.finish({ status: isFinalAttempt ? "FAILED" : "ERRORED", error }, this.start);
    // Not final: the step waits out its retry backoff. The request's RUNNING change goes first, or its later write
    // would turn WAITING back into RUNNING.
    if (!isFinalAttempt) {
      await this.flushStart();
      await recordWaiting(job, error);
    }
  }

  override async onRunError({ ctx, error, isFinalAttempt }: Middleware.OnRunErrorArgs): Promise<void> {
    const job = jobOf(ctx.event);
    if (!job) return;
    await this.flushStart();
    if (isFinalAttempt) await recordFailed(job, error);
    else await recordWaiting(job, error);
  }
}
