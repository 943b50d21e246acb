import type { Clock } from "../../src/clock.js";

/**
 * A clock that runs with real time and can be moved forward: `advance(ms)` jumps every deadline that falls due at
 * once (sleeps, retries, throttles, debounces, timeouts, crons), so a test waits for what happens next instead of
 * sleeping through it. It never goes back, so event timestamps from the SDK (real time) are never in its future.
 */
export class JumpClock implements Clock {
  private offset = 0;
  private readonly pending = new Set<{ at: number; fire: () => void; timer: NodeJS.Timeout }>();

  now(): number {
    return Date.now() + this.offset;
  }

  schedule(at: number, fire: () => void): () => void {
    const entry = {
      at,
      fire,
      timer: setTimeout(
        () => {
          this.pending.delete(entry);
          fire();
        },
        Math.min(Math.max(at - this.now(), 0), 2 ** 31 - 1),
      ),
    };
    this.pending.add(entry);
    return () => {
      clearTimeout(entry.timer);
      this.pending.delete(entry);
    };
  }

  /** Moves time forward by `ms` and fires what fell due, earliest first (a fired deadline may arm the next). */
  advance(ms: number): void {
    this.offset += ms;
    for (;;) {
      const due = [...this.pending].filter((e) => e.at <= this.now()).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      clearTimeout(due.timer);
      this.pending.delete(due);
      due.fire();
    }
  }
}
