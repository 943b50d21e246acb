/**
 * The worker side of the peer benchmark: every system's handler calls `started` when a job (or a chained job, or a
 * step) begins and `completed` when the whole unit of work is done. The orchestrator reads and clears the samples
 * over the child-process IPC channel, so no system pays for reporting while it runs.
 */
import { preciseNow } from "../measure.js";

/** What every benchmark job carries: when it was enqueued, which link of a five-link chain it is, and when the
 * previous link finished (the start of the step→step gap). */
export interface BenchJob {
  sentAt: number;
  step: number;
  prevEnd?: number;
}

export interface Samples {
  completed: number;
  enqueueToStart: number[];
  stepToStep: number[];
}

let samples: Samples = { completed: 0, enqueueToStart: [], stepToStep: [] };

export function started(job: BenchJob): void {
  const at = preciseNow();
  if (job.step <= 1 || job.prevEnd === undefined) samples.enqueueToStart.push(at - job.sentAt);
  else samples.stepToStep.push(at - job.prevEnd);
}

export function completed(): void {
  samples.completed++;
}

/** The next link of a chain, stamped with the moment this one's work ended. */
export const nextLink = (job: BenchJob): BenchJob => ({ sentAt: job.sentAt, step: job.step + 1, prevEnd: preciseNow() });

/** How a worker stops taking one-step jobs (they wait in its queue) and starts again, where its system allows it. */
export interface Hold {
  hold(): Promise<void>;
  release(): Promise<void>;
}

/**
 * Answers the orchestrator's `samples`, `reset`, `hold` and `release` messages; call once the worker is running.
 * `hold`/`release` answer whether the worker could (false without `holds`).
 */
export function serveSamples(holds?: Hold): void {
  process.on("message", async (message: { type: string; id: number }) => {
    if (message.type === "samples") process.send?.({ id: message.id, samples });
    if (message.type === "reset") {
      samples = { completed: 0, enqueueToStart: [], stepToStep: [] };
      process.send?.({ id: message.id });
    }
    if (message.type === "hold" || message.type === "release") {
      if (holds) await (message.type === "hold" ? holds.hold() : holds.release());
      process.send?.({ id: message.id, samples: Boolean(holds) });
    }
  });
  process.on("disconnect", () => process.exit(0));
  process.send?.({ type: "ready" });
}
