import { log } from "@/server/log";
import { type JobRef, type RunStart, recordRunStarted } from "@/server/services/jobs/record-progress";

/**
 * How long a request runs before its job is marked RUNNING on its own. Most requests of a job's run end sooner and
 * write their outcome anyway, so the RUNNING change rides on that statement instead of costing one of its own: an
 * UPDATE of Job touches its 15 indexes and its two statement triggers. Until then the request's finished steps write
 * only their rows, and the change counts them. A short run writes Job twice in all (its create and its outcome),
 * where it wrote it once more per step. A longer request shows RUNNING from this moment, with its real start time.
 * Tests may lengthen it (`runStartTiming`) to see a short run's writes whatever the machine's speed.
 */
export const RUN_START_DELAY_MS = 250;
export const runStartTiming = { delayMs: RUN_START_DELAY_MS };

/**
 * The RUNNING change of one request of a job's run (its run id, start time, count of completed steps and a fresh
 * heartbeat), written by the request's outcome, or on its own after the delay or before a change that cannot carry
 * it. Writes are put in order: no step's write runs while the start is being written, and the start waits for the
 * step rows being written, so its count of the run's steps includes every row written before it.
 */
export class DeferredRunStart {
  private pending?: RunStart;
  private writing?: Promise<void>;
  /** Step rows being written while the start is pending (without an update of the job). */
  private readonly rowsInFlight = new Set<Promise<unknown>>();
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
    }, runStartTiming.delayMs);
    this.timer.unref();
  }

  /** Waits until neither the start nor a step row is being written. */
  private async settled(): Promise<void> {
    for (;;) {
      if (this.writing) await this.writing;
      else if (this.rowsInFlight.size) await Promise.allSettled([...this.rowsInFlight]);
      else return;
    }
  }

  /**
   * Runs a step's write: while the start is unwritten, as the row alone (`updateJob` false: the start's write counts
   * it); once the start is written, with the job's update.
   */
  async stepWrite<T>(write: (updateJob: boolean) => Promise<T>): Promise<T> {
    while (this.writing) await this.writing;
    if (!this.pending) return write(true);
    const row = write(false);
    this.rowsInFlight.add(row);
    try {
      return await row;
    } finally {
      this.rowsInFlight.delete(row);
    }
  }

  /**
   * Runs `write` with the start while it is still unwritten (the statement then writes it too, and if it fails the
   * start stays pending), or with nothing once it has been written.
   */
  async carry<T>(write: (start: RunStart | undefined) => Promise<T>): Promise<T> {
    clearTimeout(this.timer);
    await this.settled();
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
