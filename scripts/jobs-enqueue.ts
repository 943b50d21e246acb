/**
 * npm run jobs:enqueue -- <type> '<json payload>' [--priority N] [--key IDEMPOTENCY_KEY] [--org ORG_ID] [--user USER_ID]
 * npm run jobs:enqueue -- --file jobs.ndjson [--org ORG_ID] [--user USER_ID]
 *
 * With --file, every line of the file is one job (`{"type": …, "payload": …, "priority"?, "idempotencyKey"?}`),
 * created through the bulk create (createJobs) 1,000 at a time, each thousand all or none.
 *
 * Creates a job from the command line through the job service (source SYSTEM), exactly as the API would: the
 * payload is validated by the job type's schema, and the event goes through the outbox. Uses DATABASE_URL, or the
 * embedded database `npm run dev` is serving, or opens the embedded database itself. If Inngest is not running,
 * the job waits in the outbox and the app's relay delivers it once `npm run dev` is up.
 */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { CreateJobInput } from "../jobs/registry.js";
import { connectAppDatabase } from "./lib/app-database.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    priority: { type: "string" },
    key: { type: "string" },
    org: { type: "string" },
    user: { type: "string" },
    file: { type: "string" },
  },
});

/** The jobs of an NDJSON file, one per non-empty line; a line that is not JSON is named. */
function readNdjson(path: string): unknown[] | string {
  const jobs: unknown[] = [];
  const lines = readFileSync(path, "utf8").split("\n");
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    try {
      jobs.push(JSON.parse(line));
    } catch (err) {
      return `${path}:${i + 1} is not valid JSON: ${(err as Error).message}`;
    }
  }
  return jobs;
}

/** --file: the file's jobs through the bulk create, a thousand at a time. */
async function enqueueFile(path: string): Promise<number> {
  const jobs = readNdjson(path);
  if (typeof jobs === "string") {
    console.error(jobs);
    return 2;
  }
  const stopDatabase = await connectAppDatabase();
  const { createJobs, MAX_BATCH } = await import("../server/services/jobs/create-jobs.js");
  const { AppError } = await import("../server/errors.js");
  const { db } = await import("../server/db.js");
  const scope = { orgId: values.org ?? process.env.DEV_ORG_ID ?? "org_dev", userId: values.user ?? "system:cli" };
  let created = 0;
  let existing = 0;
  try {
    for (let i = 0; i < jobs.length; i += MAX_BATCH) {
      const result = await createJobs(scope, { items: jobs.slice(i, i + MAX_BATCH) }, "SYSTEM");
      created += result.created;
      existing += result.existing;
    }
    console.log(JSON.stringify({ jobs: jobs.length, created, existing }));
    return 0;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    console.error(`${err.code} after ${created + existing} of ${jobs.length} jobs: ${err.message}`);
    return 1;
  } finally {
    await db().$disconnect();
    await stopDatabase();
  }
}

async function main(): Promise<number> {
  if (values.file) return enqueueFile(values.file);
  const [type, json = "{}"] = positionals;
  if (!type) {
    console.error("usage: npm run jobs:enqueue -- <type> '<json payload>' [--priority N] [--key KEY] [--org ORG] [--user USER]");
    return 2;
  }
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch (err) {
    console.error(`the payload is not valid JSON: ${(err as Error).message}`);
    return 2;
  }

  const stopDatabase = await connectAppDatabase();

  try {
    // Imported after DATABASE_URL is settled: the app's modules read it on first use.
    const { createJob } = await import("../server/services/jobs/create-job.js");
    const { AppError } = await import("../server/errors.js");
    const { db } = await import("../server/db.js");
    try {
      const { job, created } = await createJob(
        { orgId: values.org ?? process.env.DEV_ORG_ID ?? "org_dev", userId: values.user ?? "system:cli" },
        // From the command line: createJob validates the type and the payload against the catalogue.
        {
          type,
          payload,
          priority: values.priority === undefined ? undefined : Number(values.priority),
          idempotencyKey: values.key,
        } as CreateJobInput,
        "SYSTEM",
      );
      const pending = await db().outboxEvent.count({ where: { jobId: job.id, sentAt: null } });
      console.log(JSON.stringify({ id: job.id, type: job.type, status: job.status, created, eventSent: pending === 0 }));
      if (pending) console.error("Inngest did not answer: the event waits in the outbox until the app's relay can send it.");
      return 0;
    } catch (err) {
      if (err instanceof AppError) {
        console.error(`${err.code}: ${err.message}`);
        return 1;
      }
      throw err;
    } finally {
      await db().$disconnect();
    }
  } finally {
    await stopDatabase();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
