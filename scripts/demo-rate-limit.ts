/**
 * npm run jobs:rate-limit — sends 30 demo tasks within one second and reports what the flow control did: the
 * demo task allows 10 concurrent steps and 100 starts a minute (burst 10). Prints the peak number of steps
 * running at once, how the starts spread out, and the total time. Needs `npm run dev` (or npm start) running.
 */
import { ACTIVE } from "../jobs/status.js";
import { connectAppDatabase } from "./lib/app-database.js";

const COUNT = 30;
const DELAY_MS = 1500;

/** The most intervals open at the same instant. */
export function peakOverlap(intervals: Array<[number, number]>): number {
  const edges = intervals.flatMap(([a, b]) => [
    [a, 1],
    [b, -1],
  ]) as Array<[number, number]>;
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let peak = 0;
  for (const [, d] of edges) {
    open += d;
    peak = Math.max(peak, open);
  }
  return peak;
}

async function main(): Promise<void> {
  const stop = await connectAppDatabase();
  const { createJob } = await import("../server/services/jobs/create-job.js");
  const { db } = await import("../server/db.js");
  try {
    const scope = { orgId: process.env.DEV_ORG_ID || "org_dev", userId: "system:rate-limit" };
    const t0 = Date.now();
    const ids = await Promise.all(
      Array.from({ length: COUNT }, async (_, i) => {
        await new Promise((r) => setTimeout(r, Math.floor((i * 1000) / COUNT)));
        return (await createJob(scope, { type: "demo-task", payload: { delayMs: DELAY_MS } }, "SYSTEM")).job.id;
      }),
    );
    console.log(`sent ${COUNT} tasks in ${Date.now() - t0} ms; waiting for them to finish…`);
    const deadline = Date.now() + 5 * 60_000;
    for (;;) {
      const open = await db().job.count({ where: { id: { in: ids }, status: { in: [...ACTIVE] } } });
      if (!open) break;
      if (Date.now() > deadline) throw new Error(`${open} tasks still unfinished after 5 minutes: is npm run dev running?`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const steps = await db().jobStep.findMany({
      where: { jobId: { in: ids }, kind: "RUN" },
      select: { startedAt: true, finishedAt: true },
    });
    const jobs = await db().job.findMany({ where: { id: { in: ids } }, select: { startedAt: true, finishedAt: true, status: true } });
    const starts = jobs.map((j) => j.startedAt?.getTime() ?? 0).sort((a, b) => a - b);
    const first = starts[0] ?? 0;
    console.log(`finished in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${jobs.filter((j) => j.status === "COMPLETED").length} completed`);
    console.log(
      `peak steps running at once: ${peakOverlap(steps.map((s) => [s.startedAt.getTime(), s.finishedAt?.getTime() ?? Date.now()]))} (limit 10)`,
    );
    console.log(
      `peak jobs in flight at once: ${peakOverlap(jobs.map((j) => [j.startedAt?.getTime() ?? 0, j.finishedAt?.getTime() ?? 0]))}`,
    );
    console.log(
      `starts: first 10 within ${((starts[9] ?? first) - first) / 1000} s, all ${COUNT} within ${((starts.at(-1) ?? first) - first) / 1000} s (throttle 100/min, burst 10)`,
    );
  } finally {
    await db().$disconnect();
    await stop();
  }
}

if (process.argv[1]?.endsWith("demo-rate-limit.ts")) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
