import { readFile } from "node:fs/promises";
import { env } from "@/env";
import { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import type { Scope } from "../../identity";
import { readJobCounts } from "../jobs/job-counts";
import { ALL_STATUSES } from "../jobs/job-query";
import { countsByType } from "../jobs/job-stats";
import { FINAL } from "../jobs/job-status";
import { outboxBacklog } from "../outbox/relay-outbox";
import { inngestTarget } from "./inngest-target";

export interface Health {
  status: "ok" | "degraded" | "down";
  uptimeSeconds: number;
  database: { ok: boolean; latencyMs: number; error?: string };
  engine: { ok: boolean; url: string; mode: "dev" | "cloud"; latencyMs: number; status?: number; error?: string };
  outbox: { pending: number; oldestAgeMs: number | null; lastError: string | null };
  lastJobProcessedAt: string | null;
  /** From the minute-level queue statistics (snapshot-queue-stats): the last 15 minutes across the installation. */
  last15Minutes: { completed: number; failed: number; maxP95QueueLatencyMs: number | null };
  /** Jobs per type and status, across the whole installation (counts only, no ids or payloads). */
  jobs: Record<string, Record<string, number>>;
  /** The launcher's supervised processes (database server, Next.js): state, restarts, why the last one ended. */
  processes: SupervisedProcess[] | null;
}

export interface SupervisedProcess {
  name: string;
  pid: number | null;
  state: string;
  restarts: number;
  startedAt: string | null;
  lastExit: { at: string; code: number | null; signal: string | null; reason: string } | null;
}

/** What the launcher last wrote about its children; null when the app runs without it (Vercel, a bare next start). */
async function supervisedProcesses(): Promise<SupervisedProcess[] | null> {
  const file = env().JOBDECK_STACK_INFO_FILE;
  if (!file) return null;
  try {
    const info = JSON.parse(await readFile(file, "utf8")) as { children?: SupervisedProcess[] };
    return Array.isArray(info.children) ? info.children : null;
  } catch {
    return null; // not written yet, or being replaced
  }
}

/** Health answers within this, whatever hangs: a database that accepts connections and never answers is down. */
const CHECK_TIMEOUT_MS = 2_000;

async function timed<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: string; ms: number }> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    const value = await Promise.race([fn(), timeout]);
    return { value, ms: Math.round(performance.now() - t0) };
  } catch (err) {
    return { error: (err as Error).message, ms: Math.round(performance.now() - t0) };
  } finally {
    clearTimeout(timer);
  }
}

async function probeEngine(url: string): Promise<number> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
  await res.body?.cancel();
  // Any answer below 500 means Inngest is there (the Dev Server and Cloud may not serve /health itself).
  if (res.status >= 500) throw new Error(`answered ${res.status}`);
  return res.status;
}

/** What the public sees: whether the app and its dependencies are up, nothing about anyone's jobs or errors. */
export interface Liveness {
  status: Health["status"];
  checks: { database: boolean; inngest: boolean };
}

/** A signed-in member: liveness, plus their own organization's job counts. */
export interface TenantHealth extends Liveness {
  jobs: Health["jobs"];
}

export type HealthView = Health | TenantHealth | Liveness;

/**
 * Health as the caller may see it: the installation's details (engine URL, outbox errors, counts of every
 * organization) are for operators; a member sees liveness and their own organization's counts; the public
 * (load balancers, uptime checks) sees liveness only.
 */
export async function healthFor(viewer: { operator: boolean; scope: Scope | null }): Promise<HealthView> {
  if (viewer.operator) return getHealth();
  const target = inngestTarget();
  const [database, engine] = await Promise.all([timed(() => db().$queryRaw`SELECT 1`), timed(() => probeEngine(target.url))]);
  const liveness: Liveness = {
    status: database.error ? "down" : engine.error ? "degraded" : "ok",
    checks: { database: !database.error, inngest: !engine.error },
  };
  if (!viewer.scope || database.error) return liveness;
  const orgId = viewer.scope.orgId;
  const counts = await timed(async () => countsByType(await readJobCounts(db(), orgId)));
  return { ...liveness, jobs: counts.value ?? {} };
}

/** Every organization's jobs per type and status, from the maintained counts. */
async function installationCounts(): Promise<Health["jobs"]> {
  const rows = await db().$queryRaw<Array<{ type: string; bucket: string; n: bigint }>>`
    SELECT "type", "bucket", sum("count")::int8 AS n FROM "JobCount"
    WHERE "bucket" = ANY(${ALL_STATUSES}::text[]) GROUP BY "type", "bucket" HAVING sum("count") <> 0`;
  const jobs: Health["jobs"] = {};
  for (const r of rows) (jobs[r.type] ??= {})[r.bucket.toLowerCase()] = Number(r.n);
  return jobs;
}

/** When a job last finished: the newest end of each final status, each one step down its (status, finishedAt) index. */
async function lastFinishedAt(): Promise<Date | null> {
  const latest = FINAL.map((s) => Prisma.sql`(SELECT max("finishedAt") FROM "Job" WHERE "status" = ${s}::"JobStatus")`);
  const rows = await db().$queryRaw<Array<{ at: Date | null }>>`SELECT GREATEST(${Prisma.join(latest)}) AS at`;
  return rows[0]?.at ?? null;
}

/** Liveness of the app and its dependencies with the installation's details (operators). */
export async function getHealth(): Promise<Health> {
  const target = inngestTarget();
  const [database, engine, processes] = await Promise.all([
    timed(() => db().$queryRaw`SELECT 1`),
    timed(() => probeEngine(target.url)),
    supervisedProcesses(),
  ]);
  let jobs: Health["jobs"] = {};
  let lastJobProcessedAt: string | null = null;
  let outbox: Health["outbox"] = { pending: 0, oldestAgeMs: null, lastError: null };
  let last15Minutes: Health["last15Minutes"] = { completed: 0, failed: 0, maxP95QueueLatencyMs: null };
  if (!database.error) {
    // Each detail within the time limit: liveness never waits on a slow aggregate, a missing detail is empty.
    const [counts, last, backlog, recent] = await Promise.all([
      timed(installationCounts),
      timed(lastFinishedAt),
      timed(outboxBacklog),
      timed(() =>
        db().queueStat.aggregate({
          where: { minute: { gte: new Date(Date.now() - 15 * 60_000) } },
          _sum: { completed: true, failed: true },
          _max: { p95LatencyMs: true },
        }),
      ),
    ]);
    last15Minutes = {
      completed: recent.value?._sum.completed ?? 0,
      failed: recent.value?._sum.failed ?? 0,
      maxP95QueueLatencyMs: recent.value?._max.p95LatencyMs ?? null,
    };
    jobs = counts.value ?? {};
    lastJobProcessedAt = last.value?.toISOString() ?? null;
    if (backlog.value) {
      outbox = {
        pending: backlog.value.pending,
        oldestAgeMs: backlog.value.oldestCreatedAt ? Date.now() - backlog.value.oldestCreatedAt.getTime() : null,
        lastError: backlog.value.lastError,
      };
    }
  }
  return {
    status: database.error ? "down" : engine.error ? "degraded" : "ok",
    uptimeSeconds: Math.round(process.uptime()),
    database: { ok: !database.error, latencyMs: database.ms, ...(database.error ? { error: database.error } : {}) },
    engine: {
      ok: !engine.error,
      url: target.url,
      mode: target.mode,
      latencyMs: engine.ms,
      ...(engine.value ? { status: engine.value } : {}),
      ...(engine.error ? { error: engine.error } : {}),
    },
    outbox,
    lastJobProcessedAt,
    last15Minutes,
    jobs,
    processes,
  };
}
