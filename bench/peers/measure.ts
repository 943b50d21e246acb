/**
 * What the peer benchmark reads off the machine: CPU seconds and resident memory of processes from /proc, and the
 * small statistics it prints. Linux only, like the machines the benchmark runs on.
 */
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes on one machine. */
export const preciseNow = (): number => performance.timeOrigin + performance.now();

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux the benchmark runs on

/** User + system CPU seconds a process has used, 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name, which may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Current and peak resident memory of a process in MB, 0 when it is gone. */
export function memoryMb(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/** Every process whose command name is `name` (e.g. all PostgreSQL backends, the Redis server). */
export function processesNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === name) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/**
 * The CPU used by all processes named `name` from now until the returned function is called. Backends come and go
 * between the two readings: one that started in between counts from zero, one that exited is lost (its last
 * moments only, as the database's connection pools stay open through a measurement).
 */
export function cpuOfNamedSince(name: string): () => number {
  const before = new Map(processesNamed(name).map((pid) => [pid, cpuSeconds(pid)]));
  return () => processesNamed(name).reduce((sum, pid) => sum + Math.max(0, cpuSeconds(pid) - (before.get(pid) ?? 0)), 0);
}

export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export const median = (xs: readonly number[]): number => percentile(xs, 50);

export const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

/** A process and every process below it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const visit = (pid: number) => {
    out.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return out;
}
