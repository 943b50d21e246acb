import { ACTIVE, JOB_STATUSES, JOB_TYPE_NAMES } from "@/jobs";
import { db } from "../../db";
import type { Family, Labels } from "./exposition";

/**
 * The job families of GET /api/metrics, from what PostgreSQL maintains (never a scan of jobs): "JobMetric", which
 * statement triggers on "Job" keep in the same transaction as every change (migration job_metrics), the partial index
 * of queued jobs for the oldest one of each type, the outbox's unsent range, and for the opt-in organization label
 * "JobCount". Bounded labels: job type, status, outcome; organization only for the METRICS_TOP_ORGS busiest.
 */

/** The histogram bounds the trigger buckets by (migration job_metrics: queue_bounds, run_bounds). */
export const QUEUE_BOUNDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] as const;
export const RUN_BOUNDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600] as const;
const OUTCOMES = ["COMPLETED", "FAILED", "CANCELLED"] as const;
/** Above this many unsent events the backlog reads as this many (the count stays an index range of bounded size). */
const OUTBOX_CAP = 100_000;

type Row = { type: string; name: string; label: string; value: bigint };

interface Histogram {
  buckets: Map<number, number>;
  overflow: number;
  sum: number;
}

const emptyHistogram = (): Histogram => ({ buckets: new Map(), overflow: 0, sum: 0 });
const lower = (s: string) => s.toLowerCase();

function addBucket(h: Histogram, le: string, n: number): void {
  if (le === "+Inf") h.overflow += n;
  else h.buckets.set(Number(le), (h.buckets.get(Number(le)) ?? 0) + n);
}

/** The JobMetric totals as families: every catalogue type and status present (zeros included), so queries see them. */
function familiesOf(rows: Row[]): Family[] {
  const types = [...new Set([...JOB_TYPE_NAMES, ...rows.map((r) => r.type)])].sort();
  const value = new Map(rows.map((r) => [`${r.type}\u0000${r.name}\u0000${r.label}`, Number(r.value)]));
  const get = (type: string, name: string, label: string) => value.get(`${type}\u0000${name}\u0000${label}`) ?? 0;
  const queue = new Map(types.map((t) => [t, emptyHistogram()]));
  const run = new Map<string, Histogram>(types.flatMap((t) => OUTCOMES.map((o) => [`${t}\u0000${o}`, emptyHistogram()] as const)));
  for (const r of rows) {
    if (r.name === "queue_le") addBucket(queue.get(r.type) ?? emptyHistogram(), r.label, Number(r.value));
    if (r.name === "queue_sum_ms") (queue.get(r.type) as Histogram).sum += Number(r.value) / 1000;
    if (r.name === "run_le") {
      const [outcome, le = "+Inf"] = r.label.split(":");
      const h = run.get(`${r.type}\u0000${outcome}`);
      if (h) addBucket(h, le, Number(r.value));
    }
    if (r.name === "run_sum_ms") {
      const h = run.get(`${r.type}\u0000${r.label}`);
      if (h) h.sum += Number(r.value) / 1000;
    }
  }
  return [
    {
      name: "jobdeck_jobs",
      type: "gauge",
      help: "Jobs by type and status, every organization",
      samples: types.flatMap((type) => JOB_STATUSES.map((status) => ({ labels: { type, status }, value: get(type, "jobs", status) }))),
    },
    {
      name: "jobdeck_jobs_finished_total",
      type: "counter",
      help: "Jobs that reached a final status, by outcome (counted since the job_metrics migration)",
      samples: types.flatMap((type) => OUTCOMES.map((o) => ({ labels: { type, outcome: lower(o) }, value: get(type, "finished", o) }))),
    },
    {
      name: "jobdeck_job_retries_total",
      type: "counter",
      help: "Jobs started again as a new attempt (retry, bulk retry)",
      samples: types.map((type) => ({ labels: { type }, value: get(type, "retries", "") })),
    },
    {
      name: "jobdeck_job_queue_wait_seconds",
      type: "histogram",
      help: "From a job's creation to its first start",
      bounds: QUEUE_BOUNDS,
      series: types.map((type) => ({ labels: { type }, ...(queue.get(type) as Histogram) })),
    },
    {
      name: "jobdeck_job_run_seconds",
      type: "histogram",
      help: "From a job's start to its final status, by outcome",
      bounds: RUN_BOUNDS,
      series: types.flatMap((type) =>
        OUTCOMES.map((o) => ({ labels: { type, outcome: lower(o) }, ...(run.get(`${type}\u0000${o}`) as Histogram) })),
      ),
    },
  ];
}

/** Seconds since the oldest queued job of each type was created (0 with none queued): one index probe per type. */
async function oldestQueued(): Promise<Family> {
  const rows = await db().$queryRaw<Array<{ type: string; age: number | null }>>`
    SELECT t."type", extract(epoch FROM now() - (
      SELECT min(j."createdAt") FROM "Job" j WHERE j."status" = 'QUEUED' AND j."type" = t."type"))::float8 AS age
    FROM unnest(${[...JOB_TYPE_NAMES]}::text[]) AS t("type")`;
  return {
    name: "jobdeck_oldest_queued_job_age_seconds",
    type: "gauge",
    help: "Age of the oldest job still queued, by type (0 when none is)",
    samples: rows.map((r) => ({ labels: { type: r.type }, value: Math.max(0, r.age ?? 0) })),
  };
}

/** Job events not yet delivered to Inngest, and how long the oldest has waited. */
async function outbox(): Promise<Family[]> {
  const rows = await db().$queryRaw<Array<{ n: number; oldest: number | null }>>`
    SELECT count(*)::int AS n, extract(epoch FROM now() - min("createdAt"))::float8 AS oldest
      FROM (SELECT "createdAt" FROM "OutboxEvent" WHERE "sentAt" IS NULL LIMIT ${OUTBOX_CAP}) AS unsent`;
  const r = rows[0] ?? { n: 0, oldest: null };
  return [
    {
      name: "jobdeck_outbox_backlog",
      type: "gauge",
      help: "Job events waiting to be sent to Inngest",
      samples: [{ labels: {}, value: r.n }],
    },
    {
      name: "jobdeck_outbox_oldest_age_seconds",
      type: "gauge",
      help: "How long the oldest unsent job event has waited (0 when none)",
      samples: [{ labels: {}, value: Math.max(0, r.oldest ?? 0) }],
    },
  ];
}

/** The `top` organizations with the most active jobs, each with its jobs by status (METRICS_TOP_ORGS). */
async function topOrganizations(top: number): Promise<Family[]> {
  if (top <= 0) return [];
  const rows = await db().$queryRaw<Array<{ orgId: string; bucket: string; n: bigint }>>`
    WITH busiest AS (
      SELECT "orgId" FROM "JobCount" WHERE "bucket" = ANY(${[...ACTIVE]}::text[])
       GROUP BY "orgId" HAVING sum("count") > 0 ORDER BY sum("count") DESC, "orgId" LIMIT ${top})
    SELECT c."orgId", c."bucket", sum(c."count")::int8 AS n FROM "JobCount" c JOIN busiest b ON b."orgId" = c."orgId"
     WHERE c."bucket" = ANY(${[...JOB_STATUSES]}::text[]) GROUP BY c."orgId", c."bucket"`;
  const samples: Array<{ labels: Labels; value: number }> = rows.map((r) => ({
    labels: { organization: r.orgId, status: r.bucket },
    value: Number(r.n),
  }));
  return [
    {
      name: "jobdeck_organization_jobs",
      type: "gauge",
      help: "Jobs by status of the organizations with the most active jobs (METRICS_TOP_ORGS of them)",
      samples,
    },
  ];
}

/** Every job family, read in a few bounded statements. */
export async function jobFamilies(opts: { topOrganizations: number }): Promise<Family[]> {
  const rows = await db().$queryRaw<Row[]>`
    SELECT "type", "name", "label", sum("value")::int8 AS value FROM "JobMetric" GROUP BY "type", "name", "label"`;
  const [oldest, backlog, orgs] = await Promise.all([oldestQueued(), outbox(), topOrganizations(opts.topOrganizations)]);
  return [...familiesOf(rows), oldest, ...backlog, ...orgs];
}
