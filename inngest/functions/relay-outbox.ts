import { relayOutbox } from "@/server/services/outbox/relay-outbox";
import { inngest } from "../client";

/**
 * Every minute, send outbox events that could not be sent when they were written. Long-lived servers also relay
 * in-process every second (instrumentation.ts); this covers serverless deployments (Vercel), where no timer
 * outlives a request. Inngest's cron keeps firing while event sends fail, which is exactly when it is needed.
 */
export const relayOutboxCron = inngest.createFunction(
  { id: "relay-outbox", retries: 2, concurrency: { limit: 1 }, triggers: [{ cron: "* * * * *" }] },
  async ({ step }) => step.run("relay-due-events", () => relayOutbox({ limit: 500 })),
);
