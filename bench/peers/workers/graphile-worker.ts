/**
 * graphile-worker as its docs recommend for throughput (worker.graphile.org/docs/performance): `run()` with a task
 * list, LISTEN/NOTIFY wake-ups (its default), a concurrency of 10, a local queue that locks and fetches jobs in
 * batches, and completions batched into one statement per tick. A five-step job is five chained jobs, each added by
 * the one before through `helpers.addJob`.
 */
import { Logger, run } from "graphile-worker";
import { type BenchJob, completed, nextLink, serveSamples, started } from "./recorder.js";

const quiet = new Logger(() => (level, message) => {
  if (level === "error") console.error("graphile-worker:", message);
});
/** The runner; stopped while the orchestrator holds the worker (graphile-worker has no pause), started again after. */
const start = () =>
  run({
    connectionString: process.env.BENCH_DATABASE_URL,
    schema: process.env.BENCH_SCHEMA,
    concurrency: 10,
    noHandleSignals: true,
    logger: quiet,
    preset: {
      worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 },
    },
    taskList: {
      one: async (payload) => {
        started(payload as BenchJob);
        completed();
      },
      five: async (payload, helpers) => {
        const job = payload as BenchJob;
        started(job);
        if (job.step < 5) await helpers.addJob("five", nextLink(job), { maxAttempts: 1 });
        else completed();
      },
    },
  });
let runner = await start();
serveSamples({ hold: () => runner.stop(), release: async () => void (runner = await start()) });
