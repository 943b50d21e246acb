/**
 * BullMQ as its docs recommend: one Worker per queue with a concurrency of 50 on a dedicated Redis connection
 * (`maxRetriesPerRequest: null`). A five-step job is five chained jobs, each added by the one before.
 */
import { Queue, Worker } from "bullmq";
import { type BenchJob, completed, nextLink, serveSamples, started } from "./recorder.js";

const url = new URL(process.env.BENCH_REDIS_URL as string);
const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
const prefix = process.env.BENCH_SCHEMA as string;
const jobOptions = { removeOnComplete: { count: 1000 }, removeOnFail: { count: 1000 }, attempts: 1 };
const five = new Queue<BenchJob>("five", { connection, prefix, defaultJobOptions: jobOptions });
const workers = [
  new Worker<BenchJob>(
    "one",
    async (job) => {
      started(job.data);
      completed();
    },
    { connection, prefix, concurrency: 50 },
  ),
  new Worker<BenchJob>(
    "five",
    async (job) => {
      started(job.data);
      if (job.data.step < 5) await five.add("five", nextLink(job.data));
      else completed();
    },
    { connection, prefix, concurrency: 50 },
  ),
];
await Promise.all(workers.map((w) => w.waitUntilReady()));
const oneWorker = workers[0] as Worker<BenchJob>;
serveSamples({ hold: () => oneWorker.pause(), release: async () => oneWorker.resume() });
