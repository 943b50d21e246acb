import type { EngineContext } from "../context.js";
import type { TimerHandle } from "../sched/timers.js";
import type { Pause } from "../types.js";
import { Unit } from "../unit.js";
import type { RunQueue } from "./queue.js";

/** The memo an invoke that timed out resumes with, as Inngest words it. */
export const INVOKE_TIMEOUT_ERROR = {
  name: "InngestInvokeTimeoutError",
  message: "Timed out waiting for invoked function to complete",
  error: "InngestInvokeTimeoutError: Timed out waiting for invoked function to complete",
};

/**
 * Pauses: a run waiting for an event (waitForEvent) or a signal (waitForSignal), the events that cancel it
 * (cancelOn), and an invoked child's end. Each is a row, indexed in memory (runs/pauses.ts) once committed, with a
 * timer for its expiry.
 */
export class PauseSystem {
  private readonly timers = new Map<string, TimerHandle>();
  /** Signal waits written but not yet committed: a second waiter in that window conflicts with them too. */
  private readonly signalClaims = new Map<string, Pause>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly queue: RunQueue,
  ) {}

  add(u: Unit, p: Pause): void {
    this.ctx.journal.putPause(p);
    const signal = p.data.signal;
    if (signal) this.signalClaims.set(signal, p);
    u.after.push(() => {
      if (signal && this.signalClaims.get(signal) === p) this.signalClaims.delete(signal);
      this.arm(p);
    });
  }

  /** The wait that holds `signal` now: armed, or written in a unit still being committed. */
  signalHolder(signal: string): Pause | undefined {
    return this.signalClaims.get(signal) ?? this.ctx.pauses.forSignal(signal);
  }

  /** Indexes a committed pause (also from recovery) and arms its expiry. */
  arm(p: Pause): void {
    const { journal, pauses, runs, timers } = this.ctx;
    if (runs.endedRecently(p.runId)) {
      // The run ended while this pause's batch was being committed: drop it instead of waiting for its expiry.
      journal.deletePause(p.id);
      void journal.commit().catch(() => {});
      return;
    }
    if (!pauses.add(p)) return;
    this.timers.set(
      p.id,
      timers.at(p.expiresAt, () => void this.expire(p.id)),
    );
  }

  remove(p: Pause): void {
    this.ctx.pauses.remove(p);
    this.ctx.journal.deletePause(p.id);
    this.ctx.timers.cancel(this.timers.get(p.id));
    this.timers.delete(p.id);
  }

  /** A wait (event or signal) that timed out resumes with null, an invoke with the timeout error; a cancelOn pause just goes. */
  private async expire(id: string): Promise<void> {
    this.timers.delete(id);
    const p = this.ctx.pauses.get(id);
    if (!p) return;
    const u = new Unit();
    this.remove(p);
    if (p.stepHash && (p.kind === "wait" || p.kind === "signal")) {
      this.queue.resume(u, p.runId, p.data.fnSlug, p.stepHash, null, { timedOut: true, historyKind: p.kind, race: p.data.race });
    } else if (p.stepHash && p.kind === "invoke") {
      this.queue.resume(
        u,
        p.runId,
        p.data.fnSlug,
        p.stepHash,
        { error: INVOKE_TIMEOUT_ERROR },
        { timedOut: true, historyKind: "invoke", race: p.data.race },
      );
    }
    await u.commit(this.ctx.journal).catch((err) => this.ctx.log.error({ err }, "pause expiry not recorded"));
  }
}
