/** The last N latency samples, for percentiles in /health and the benchmark. */
export class Samples {
  private readonly buf: number[] = [];
  private next = 0;
  constructor(private readonly size = 2000) {}

  add(v: number): void {
    if (this.buf.length < this.size) this.buf.push(v);
    else this.buf[this.next] = v;
    this.next = (this.next + 1) % this.size;
  }

  reset(): void {
    this.buf.length = 0;
    this.next = 0;
  }

  summary(): { p50: number | null; p99: number | null; n: number } {
    if (!this.buf.length) return { p50: null, p99: null, n: 0 };
    const s = [...this.buf].sort((a, b) => a - b);
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
    return { p50: round(at(0.5)), p99: round(at(0.99)), n: s.length };
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
