import { db } from "../../db";

export interface ReportSummary {
  documentId: string;
  title: string;
  jobs: number;
  failed: number;
}

const pct = (sorted: number[], p: number) =>
  sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0) : 0;

/**
 * Renders a Markdown report of an organization's jobs over [from, to): counts by type and status, run-time
 * percentiles, and the latest failures with their errors. Stored as a Document.
 */
export async function renderJobReport(opts: {
  orgId: string;
  from: Date;
  to: Date;
  title: string;
  jobId?: string | null;
  kind?: string;
}): Promise<ReportSummary> {
  const jobs = await db().job.findMany({
    where: { orgId: opts.orgId, createdAt: { gte: opts.from, lt: opts.to } },
    select: { type: true, status: true, startedAt: true, finishedAt: true, error: true, id: true, createdAt: true },
    orderBy: { createdAt: "desc" },
    take: 10_000,
  });
  const byType = new Map<string, { total: number; statuses: Record<string, number>; durations: number[] }>();
  for (const j of jobs) {
    const t = byType.get(j.type) ?? { total: 0, statuses: {}, durations: [] };
    t.total++;
    t.statuses[j.status] = (t.statuses[j.status] ?? 0) + 1;
    if (j.startedAt && j.finishedAt) t.durations.push(j.finishedAt.getTime() - j.startedAt.getTime());
    byType.set(j.type, t);
  }
  const failures = jobs.filter((j) => j.status === "FAILED").slice(0, 10);
  const lines = [
    `# ${opts.title}`,
    "",
    `Organization \`${opts.orgId}\`, jobs created from ${opts.from.toISOString()} to ${opts.to.toISOString()}: **${jobs.length}**.`,
    "",
    "| type | jobs | completed | failed | cancelled | active | p50 run time | p95 run time |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const [type, t] of [...byType.entries()].sort()) {
    const d = [...t.durations].sort((a, b) => a - b);
    const active = (t.statuses.QUEUED ?? 0) + (t.statuses.RUNNING ?? 0) + (t.statuses.WAITING ?? 0);
    lines.push(
      `| ${type} | ${t.total} | ${t.statuses.COMPLETED ?? 0} | ${t.statuses.FAILED ?? 0} | ${t.statuses.CANCELLED ?? 0} | ${active} | ${pct(d, 0.5)} ms | ${pct(d, 0.95)} ms |`,
    );
  }
  if (failures.length) {
    lines.push("", "## Latest failures", "");
    for (const f of failures) {
      const message = (f.error as { message?: string } | null)?.message ?? "unknown error";
      lines.push(`- \`${f.id}\` (${f.type}, ${f.createdAt.toISOString()}): ${message.replace(/\n/g, " ").slice(0, 300)}`);
    }
  }
  const doc = await db().document.create({
    data: {
      orgId: opts.orgId,
      jobId: opts.jobId ?? null,
      kind: opts.kind ?? "report",
      title: opts.title,
      content: `${lines.join("\n")}\n`,
    },
  });
  return { documentId: doc.id, title: opts.title, jobs: jobs.length, failed: failures.length };
}
