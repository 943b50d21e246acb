/**
 * npm run jobs:observability — the seed's five demo tasks, created through the job service (source SYSTEM):
 * a success, a failure at step 2, a failure at step 4, a high- and a low-priority task. Prints each one's page in
 * the console (of the stack running on this data folder, else http://localhost:$PORT); /api/jobs/<id> and the
 * engine's /v1/runs show them too.
 */
import { join } from "node:path";
import { connectAppDatabase } from "./lib/app-database.js";
import { runningStackInfo } from "./lib/stack-keys.js";

const TASKS = [
  { label: "success", payload: { delayMs: 1000 }, priority: 0 },
  { label: "fails at step 2", payload: { simulateFailure: true, failAtStep: 2 }, priority: 0 },
  { label: "fails at step 4", payload: { simulateFailure: true, failAtStep: 4, delayMs: 500 }, priority: 0 },
  { label: "high priority", payload: { delayMs: 500 }, priority: 600 },
  { label: "low priority", payload: { delayMs: 500 }, priority: -600 },
];

async function main(): Promise<void> {
  const stop = await connectAppDatabase();
  const dataDir = process.env.JOBDECK_DATA_DIR || join(".data", "pglite");
  const consoleUrl = runningStackInfo(dataDir)?.appUrl ?? `http://localhost:${process.env.PORT || 3000}`;
  const { createJob } = await import("../server/services/jobs/create-job.js");
  const { db } = await import("../server/db.js");
  try {
    const scope = { orgId: process.env.DEV_ORG_ID || "org_dev", userId: "system:observability" };
    for (const t of TASKS) {
      const { job } = await createJob(scope, { type: "demo-task", payload: t.payload, priority: t.priority }, "SYSTEM");
      console.log(`${t.label.padEnd(16)} ${consoleUrl}/jobs/${job.id}  priority ${t.priority}`);
    }
    console.log(`all jobs: ${consoleUrl}/jobs`);
  } finally {
    await db().$disconnect();
    await stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
