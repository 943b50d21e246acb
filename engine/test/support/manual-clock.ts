import type { Clock } from "../../src/clock.js";

/**
 * A clock that stands still until a test moves it: for unit tests of the engine's systems without a database or
 * real time. `advance(ms)` fires every deadline that falls due, earliest first (one fired may arm the next).
 * (The conformance suites use JumpClock, which also runs with real time, since a real SDK app is on the other side.)
 */
export class ManualClock implements Clock {
  private readonly pending = new Set<{ at: number; seq: number; fire: () => void }>();
  private seq = 0;

  constructor(private time = Date.parse("2030-01-01T00:00:00Z")) {}

  now(): number {
    return this.time;
  }

  schedule(at: number, fire: () => void): () => void {
    const entry = { at, seq: this.seq++, fire };
    this.pending.add(entry);
    return () => this.pending.delete(entry);
  }

  /** Deadlines armed and not yet fired. */
  get armed(): number {
    return this.pending.size;
  }

  advance(ms: number): void {
    this.time += ms;
    for (;;) {
      const due = [...this.pending].filter((e) => e.at <= this.time).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) return;
      this.pending.delete(due);
      due.fire();
    }
  }
}
