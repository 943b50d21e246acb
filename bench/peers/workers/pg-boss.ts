/**
 * pg-boss as its docs recommend for throughput: LISTEN/NOTIFY on, queues with `notify`, batched fetches with
 * local concurrency and burst fetching while batches come back full. A five-step job is five chained jobs.
 */
import { PgBoss } from "pg-boss";
import { type BenchJob, completed, nextLink, serveSamples, started } from "./recorder.js";

const boss = new PgBoss({ connectionString: process.env.BENCH_DATABASE_URL, schema: process.env.BENCH_SCHEMA, useListenNotify: true });
boss.on("error", (err) => console.error("pg-boss:", err));
await boss.start();
for (const name of ["one", "five"]) await boss.createQueue(name, { notify: true, retryLimit: 0 });
const options = { batchSize: 20, localConcurrency: 4, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 } as const;
const workOne = () =>
  boss.work<BenchJob>("one", options, async (jobs) => {
    for (const job of jobs) {
      started(job.data);
      completed();
    }
  });
await workOne();
await boss.work<BenchJob>("five", options, async (jobs) => {
  const next: { data: BenchJob }[] = [];
  for (const job of jobs) {
    started(job.data);
    if (job.data.step < 5) next.push({ data: nextLink(job.data) });
    else completed();
  }
  if (next.length) await boss.insert("five", next);
});
serveSamples({ hold: () => boss.offWork("one", { wait: true }), release: async () => void (await workOne()) });
