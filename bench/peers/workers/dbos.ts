/**
 * DBOS Transact's side of the peer benchmark: registered workflows whose work is `DBOS.runStep` steps, run from two
 * database-backed queues by this process's queue worker with its default polling, as DBOS's docs set up a queue
 * worker. A five-step job is one workflow of five steps, each checkpointed in the system database.
 */
import { DBOS } from "@dbos-inc/dbos-sdk";
import { preciseNow } from "../measure.js";
import { type BenchJob, completed, serveSamples, started } from "./recorder.js";

DBOS.setConfig({
  name: "jobdeck-bench",
  systemDatabaseUrl: process.env.BENCH_DATABASE_URL,
  systemDatabaseSchemaName: process.env.BENCH_SCHEMA,
  logLevel: "error",
});

DBOS.registerWorkflow(
  async (job: BenchJob) => {
    await DBOS.runStep(async () => started(job), { name: "s1" });
    completed();
  },
  { name: "one" },
);

DBOS.registerWorkflow(
  async (job: BenchJob) => {
    let prevEnd: number | undefined;
    for (let step = 1; step <= 5; step++) {
      const link: BenchJob = { sentAt: job.sentAt, step, prevEnd };
      prevEnd = await DBOS.runStep(
        async () => {
          started(link);
          return preciseNow();
        },
        { name: `s${step}` },
      );
    }
    completed();
  },
  { name: "five" },
);

await DBOS.launch();
for (const queue of ["one", "five"]) await DBOS.registerQueue(queue);
serveSamples();
