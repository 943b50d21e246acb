import { Middleware } from "inngest";
import type { StepKind } from "@/generated/prisma/enums";
import {
  recordCompleted,
  recordFailed,
  recordParked,
  recordParkedStepDone,
  recordRunActive,
  recordStepFinished,
  recordStepStarted,
  recordWaiting,
  type StartedStep,
} from "@/server/services/jobs/record-progress";

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

/** The job behind a run: the job service puts `jobId` into every event it sends. Inngest's own events have none. */
function jobIdOf(event: { name?: string; data?: unknown } | undefined): string | undefined {
  if (!event || event.name?.startsWith("inngest/")) return undefined;
  const id = (event.data as { jobId?: unknown } | undefined)?.jobId;
  return typeof id === "string" && id ? id : undefined;
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
  private readonly openSteps = new Map<string, StartedStep>();

  override async wrapFunctionHandler({ ctx, next }: Middleware.WrapFunctionHandlerArgs): Promise<unknown> {
    const jobId = jobIdOf(ctx.event);
    if (!jobId) return next();
    const status = await recordRunActive(jobId, ctx.runId);
    // Cancelled before this request: do no more work (cancelOn ends the run too, but may arrive later).
    if (status === "CANCELLED") return { cancelled: true, jobId };
    const output = await next();
    // A failure to record completion fails the request, so Inngest retries it and the write happens then.
    await recordCompleted(jobId, output);
    return output;
  }

  /**
   * A request that ends with a sleep, wait or invoke op parks the run: record the step and WAITING. Read from the
   * response, because the SDK reports a newly found sleep or wait without running any per-step hook for it.
   */
  override async wrapRequest({ next, requestInfo, runId }: Middleware.WrapRequestArgs): Promise<Middleware.Response> {
    const res = await next();
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
    const jobId = jobIdOf(body?.event);
    if (!jobId) return res;
    for (const op of parked) {
      await recordParked(jobId, {
        name: op.displayName ?? op.name ?? op.id,
        kind: PARKING_OPS[op.op] as StepKind,
        attempt: body?.ctx?.attempt ?? 0,
        runId,
      });
    }
    await recordWaiting(jobId);
    return res;
  }

  /** A parked step seen as memoized on a later request has resolved: close its row with the result. */
  override async wrapStep({ ctx, stepInfo, next }: Middleware.WrapStepArgs): Promise<unknown> {
    const jobId = jobIdOf(ctx.event);
    const kind = KINDS[String(stepInfo.stepType)] ?? "OTHER";
    if (!jobId || !PARKING.has(kind) || !stepInfo.memoized) return next();
    const output = await next();
    await recordParkedStepDone(jobId, ctx.runId, stepName(stepInfo), output);
    return output;
  }

  override async wrapStepHandler({ ctx, stepInfo, next }: Middleware.WrapStepHandlerArgs): Promise<unknown> {
    const jobId = jobIdOf(ctx.event);
    if (!jobId) return next();
    const kind = KINDS[String(stepInfo.stepType)] ?? "OTHER";
    const row = await recordStepStarted(jobId, { name: stepName(stepInfo), kind, attempt: ctx.attempt, runId: ctx.runId });
    this.openSteps.set(stepInfo.hashedId, row);
    const output = await next();
    this.openSteps.delete(stepInfo.hashedId);
    await recordStepFinished(row, { status: "COMPLETED", output });
    return output;
  }

  override async onStepError({ ctx, error, isFinalAttempt, stepInfo }: Middleware.OnStepErrorArgs): Promise<void> {
    const jobId = jobIdOf(ctx.event);
    const row = this.openSteps.get(stepInfo.hashedId);
    if (!jobId || !row) return;
    this.openSteps.delete(stepInfo.hashedId);
    await recordStepFinished(row, { status: isFinalAttempt ? "FAILED" : "ERRORED", error });
    // Not final: the step waits out its retry backoff.
    if (!isFinalAttempt) await recordWaiting(jobId, error);
  }

  override async onRunError({ ctx, error, isFinalAttempt }: Middleware.OnRunErrorArgs): Promise<void> {
    const jobId = jobIdOf(ctx.event);
    if (!jobId) return;
    if (isFinalAttempt) await recordFailed(jobId, error);
    else await recordWaiting(jobId, error);
  }
}
