import { Heap } from "../util/heap.js";

export interface TimerHandle {
  at: number;
  seq: number;
  fire: () => void;
}

const MAX_DELAY = 2 ** 31 - 1;

/** All of the engine's deadlines (sleeps, retries, waits, debounces, crons) behind one setTimeout. */
export class Timers {
  private readonly heap = new Heap<TimerHandle>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  private seq = 0;
  private timeout: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private stopped = false;

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
    if (this.timeout) clearTimeout(this.timeout);
  }

  private arm(): void {
    if (this.stopped) return;
    const next = this.heap.peek();
    if (this.timeout) clearTimeout(this.timeout);
    this.timeout = undefined;
    if (!next) {
      this.armedFor = Number.POSITIVE_INFINITY;
      return;
    }
    this.armedFor = next.at;
    const delay = Math.min(Math.max(next.at - Date.now(), 0), MAX_DELAY);
    this.timeout = setTimeout(() => this.run(), delay);
  }

  private run(): void {
    this.timeout = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = Date.now();
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
