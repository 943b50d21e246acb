import type { StepKind } from "@/generated/prisma/enums";
import { log } from "@/server/log";
import {
  type JobRef,
  recordStepFinished,
  recordStepRan,
  recordStepStarted,
  type StartedStep,
  type StepOutcome,
} from "@/server/services/jobs/record-progress";
import type { DeferredRunStart } from "./run-start";

/**
 * How long a step runs before its row is opened as RUNNING. Most steps end sooner and are written once, finished
 * (one statement instead of an insert, an update and a recount); a longer one shows RUNNING on the timeline from
 * this moment, with its real start time. The console polls every few seconds, so nothing it shows is lost.
 */
export const STEP_ROW_OPEN_DELAY_MS = 250;

type StepInfo = { name: string; kind: StepKind; attempt: number; runId: string; stepId?: string };

/** The JobStep row of one step attempt, written when the step ends, or opened first if it runs long. */
export class StepRow {
  private readonly startedAt = new Date();
  private readonly timer: NodeJS.Timeout;
  private opening?: Promise<StartedStep | undefined>;

  constructor(
    private readonly job: JobRef,
    private readonly step: StepInfo,
  ) {
    this.timer = setTimeout(() => {
      this.opening = recordStepStarted(job, { ...step, startedAt: this.startedAt }).catch((err: unknown) => {
        // Not fatal: the row is then written whole when the step ends.
        log.warn({ err, jobId: job.jobId, step: step.name }, "could not open a running step's row");
        return undefined;
      });
    }, STEP_ROW_OPEN_DELAY_MS);
    this.timer.unref();
  }

  /** The step threw: its row is written by onStepError, never opened as RUNNING after the fact. */
  stopOpening(): void {
    clearTimeout(this.timer);
  }

  /**
   * Writes the row's end; `start` is the request's RUNNING change: while it is unwritten the row is written alone and
   * the change counts it (run-start.ts).
   */
  async finish(outcome: StepOutcome, start?: DeferredRunStart): Promise<void> {
    clearTimeout(this.timer);
    const open = this.opening ? await this.opening : undefined;
    const write = (updateJob: boolean) =>
      open
        ? recordStepFinished(open, outcome, updateJob)
        : recordStepRan(this.job, { ...this.step, startedAt: this.startedAt }, outcome, updateJob);
    await (start ? start.stepWrite(write) : write(true));
  }
}
