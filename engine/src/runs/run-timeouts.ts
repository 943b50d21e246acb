import type { EngineContext } from "../context.js";
import type { FnDef } from "../registry.js";
import type { TimerHandle } from "../sched/timers.js";
import type { RunState } from "../types.js";
import { Unit } from "../unit.js";
import type { RunQueue } from "./queue.js";

type RunTimes = Pick<RunState, "id" | "fnSlug" | "createdAt" | "startedAt" | "status">;

/**
 * `timeouts.start` and `timeouts.finish`: a cancel item at the deadline. Re-armed from the run row after a restart;
 * the start timer goes as soon as the run's first request goes out.
 */
export class RunTimeouts {
  private readonly start = new Map<string, TimerHandle>();
  private readonly finish = new Map<string, TimerHandle>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly queue: RunQueue,
  ) {}

  arm(run: RunTimes, fn: FnDef): void {
    const { timers } = this.ctx;
    if (fn.timeouts.startMs && run.status === "queued") {
      this.start.set(
        run.id,
        timers.at(run.createdAt + fn.timeouts.startMs, () => {
          this.start.delete(run.id);
          this.cancelAtDeadline(run, `timeouts.start: not started within ${fn.config.timeouts?.start}`);
        }),
      );
    }
    if (fn.timeouts.finishMs && run.startedAt !== undefined) {
      this.finish.set(
        run.id,
        timers.at(run.startedAt + fn.timeouts.finishMs, () => {
          this.finish.delete(run.id);
          this.cancelAtDeadline(run, `timeouts.finish: not finished within ${fn.config.timeouts?.finish}`);
        }),
      );
    }
  }

  /** The first request went out: the start deadline no longer applies, the finish deadline begins. */
  started(run: RunTimes, fn: FnDef | undefined): void {
    this.ctx.timers.cancel(this.start.get(run.id));
    this.start.delete(run.id);
    if (fn?.timeouts.finishMs) this.arm(run, fn);
  }

  clear(runId: string): void {
    for (const m of [this.start, this.finish]) {
      this.ctx.timers.cancel(m.get(runId));
      m.delete(runId);
    }
  }

  private cancelAtDeadline(run: RunTimes, reason: string): void {
    const u = new Unit();
    this.queue.cancel(u, run.id, run.fnSlug, reason);
    void u.commit(this.ctx.journal).catch((err) => this.ctx.log.error({ err, runId: run.id }, "timeout cancel not recorded"));
  }
}
