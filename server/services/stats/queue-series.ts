import { db } from "../../db";
import type { Scope } from "../../identity";

export interface SeriesPoint {
  minute: string;
  created: number;
  started: number;
  completed: number;
  failed: number;
  /** failed / (completed + failed) in that minute, 0..1; null when nothing finished. */
  failureRate: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
}

/**
 * Per-minute throughput, failure rate and queue latency of the organization over the last `minutes`, from the
 * queue statistics (snapshot-queue-stats keeps them current). Every minute is present, empty ones as zeros.
 */
export async function queueSeries(scope: Scope, minutes = 60, now = Date.now()): Promise<SeriesPoint[]> {
  const span = Math.min(Math.max(Math.trunc(minutes), 5), 24 * 60);
  const end = Math.floor(now / 60_000) * 60_000;
  const start = end - (span - 1) * 60_000;
  const rows = await db().queueStat.findMany({ where: { orgId: scope.orgId, minute: { gte: new Date(start) } } });
  const byMinute = new Map<number, SeriesPoint>();
  for (let t = start; t <= end; t += 60_000) {
    byMinute.set(t, {
      minute: new Date(t).toISOString(),
      created: 0,
      started: 0,
      completed: 0,
      failed: 0,
      failureRate: null,
      p50LatencyMs: null,
      p95LatencyMs: null,
    });
  }
  for (const r of rows) {
    const p = byMinute.get(r.minute.getTime());
    if (!p) continue;
    p.created += r.queued;
    p.started += r.started;
    p.completed += r.completed;
    p.failed += r.failed;
    // Across job types the worst latency is the one worth seeing.
    if (r.p50LatencyMs !== null) p.p50LatencyMs = Math.max(p.p50LatencyMs ?? 0, r.p50LatencyMs);
    if (r.p95LatencyMs !== null) p.p95LatencyMs = Math.max(p.p95LatencyMs ?? 0, r.p95LatencyMs);
  }
  for (const p of byMinute.values()) {
    const finished = p.completed + p.failed;
    p.failureRate = finished ? p.failed / finished : null;
  }
  return [...byMinute.values()];
}
