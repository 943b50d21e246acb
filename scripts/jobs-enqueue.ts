/**
 * npm run jobs:enqueue -- <type> '<json payload>' [--priority N] [--key IDEMPOTENCY_KEY] [--org ORG_ID] [--user USER_ID]
 *
 * Creates a job from the command line through the job service (source SYSTEM), exactly as the API would: the
 * payload is validated by the job type's schema, and the event goes through the outbox. Uses DATABASE_URL, or the
 * embedded database `npm run dev` is serving, or opens the embedded database itself. If Inngest is not running,
 * the job waits in the outbox and the app's relay delivers it once `npm run dev` is up.
 */

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
  },
});

async function main(): Promise<number> {
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
