import type { Clock } from "../clock.js";
import { Heap } from "../util/heap.js";

export interface TimerHandle {
  at: number;
  seq: number;
  fire: () => void;
}

/** All of the engine's deadlines (sleeps, retries, waits, debounces, crons) behind one clock timer. */
export class Timers {
  private readonly heap = new Heap<TimerHandle>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private seq = 0;
  private cancelArmed: (() => void) | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.heap.size;
  }

  at(time: number, fire: () => void): TimerHandle {
    const h: TimerHandle = { at: time, seq: this.seq++, fire };
    this.heap.push(h);
    if (time < this.armedFor) this.arm();
    return h;
  }

  cancel(h: TimerHandle | undefined): void {
    if (h) this.heap.remove(h);
  }

  stop(): void {
    this.stopped = true;
    this.cancelArmed?.();
  }

  private arm(): void {
    if (this.stopped) return;
    this.cancelArmed?.();
    this.cancelArmed = undefined;
    const next = this.heap.peek();
    if (!next) {
      this.armedFor = Number.POSITIVE_INFINITY;
      return;
    }
    this.armedFor = next.at;
    this.cancelArmed = this.clock.schedule(next.at, () => this.run());
  }

  private run(): void {
    this.cancelArmed = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    for (let h = this.heap.peek(); h && h.at <= now; h = this.heap.peek()) {
      this.heap.pop();
      try {
        h.fire();
      } catch (err) {
        process.emitWarning(`timer callback failed: ${(err as Error).stack}`);
      }
    }
    this.arm();
  }
}
