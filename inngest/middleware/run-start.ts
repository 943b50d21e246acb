import { log } from "@/server/log";
import { type JobRef, type RunStart, recordRunStarted } from "@/server/services/jobs/record-progress";

/**
 * How long a request runs before its job is marked RUNNING on its own. Most requests of a job's run end sooner and
 * write something anyway (a step's row, the job's outcome), so the RUNNING change rides on that statement instead of
 * costing one of its own: an UPDATE of Job touches its 15 indexes and its two statement triggers, a third of what a
 * one-step job wrote. A longer request shows RUNNING from this moment, with the request's real start time.
 */
export const RUN_START_DELAY_MS = 250;

/**
 * The RUNNING change of one request of a job's run (its run id, start time and a fresh heartbeat), written by the
 * first statement of the request that can carry it, or on its own after RUN_START_DELAY_MS or before a change that
 * cannot. Writes that could race it (parallel steps) are put in order: none runs while the start is being written,
 * so a statement that counts on the job's run id always finds it.
 */
export class DeferredRunStart {
  private pending?: RunStart;
  private writing?: Promise<void>;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly job: JobRef,
    runId: string,
  ) {
    this.pending = { runId, startedAt: new Date() };
    this.timer = setTimeout(() => {
      this.flush().catch((err: unknown) => {
        // Not fatal: the start stays pending and the request's next write carries it.
        log.warn({ err, jobId: job.jobId }, "could not mark a running job RUNNING");
      });
    }, RUN_START_DELAY_MS);
    this.timer.unref();
  }

  /**
   * Runs `write` with the start while it is still unwritten (the statement then writes it too, and if it fails the
   * start stays pending), or with nothing once it has been written.
   */
  async carry<T>(write: (start: RunStart | undefined) => Promise<T>): Promise<T> {
    clearTimeout(this.timer);
    while (this.writing) await this.writing;
    const start = this.pending;
    if (!start) return write(undefined);
    this.pending = undefined;
    const result = write(start);
    const settled = result.then(
      () => undefined,
      () => {
        this.pending ??= start;
      },
    );
    this.writing = settled;
    try {
      return await result;
    } finally {
      if (this.writing === settled) this.writing = undefined;
    }
  }

  /** Writes the start on its own if nothing has carried it yet (before a change that cannot, or at the end). */
  flush(): Promise<void> {
    return this.carry(async (start) => {
      if (start) await recordRunStarted(this.job, start);
    });
  }
}
