import { scheduleSettings } from "@/env";
import { renderJobReport } from "@/server/services/documents/render-report";
import { pruneAuxiliary, pruneJobsBatch } from "@/server/services/maintenance/prune-old-jobs";
import { recoverStalledJobs } from "@/server/services/maintenance/recover-stalled-jobs";
import { redeliverUnstartedJobs } from "@/server/services/maintenance/redeliver-unstarted-jobs";
import { syncWeights } from "@/server/services/plans/push-weights";
import { atMostOnce } from "@/server/services/side-effects/at-most-once";
import { activeOrganizations } from "@/server/services/stats/active-organizations";
import { aggregateQueueStats } from "@/server/services/stats/aggregate-queue-stats";
import { inngest } from "../client";

/**
 * Every 5 minutes: RUNNING/WAITING jobs whose run is gone and whose heartbeat is old become FAILED ("stalled"), and
 * QUEUED jobs whose start event started no run (dropped while their function was paused) get it sent again, and the
 * plans' weights are handed to the engine's fair scheduler again.
 */
export const recoverStalledJobsCron = inngest.createFunction(
  { id: "recover-stalled-jobs", retries: 2, concurrency: { limit: 1 }, triggers: [{ cron: "*/5 * * * *" }] },
  async ({ step, logger }) => {
    const stalled = await step.run("recover", () => recoverStalledJobs());
    for (const s of stalled) logger.warn(`job ${s.jobId} stalled: run ${s.runId ?? "(none)"} is ${s.runStatus}; marked FAILED`);
    const redelivered = await step.run("redeliver-unstarted", () => redeliverUnstartedJobs());
    for (const r of redelivered) logger.info(`job ${r.jobId}: its start event started no run; sent again as ${r.eventId}`);
    // The plans' weights, again: the engine may have missed a push (it was restarting) or lost its own copy.
    const weights = await step.run("sync-tenant-weights", () => syncWeights());
    return { stalled, redelivered, weights };
  },
);

/** Daily: deletes finished jobs past retention, in batches (one step each, so progress survives a crash). */
export const pruneOldJobsCron = inngest.createFunction(
  { id: "prune-old-jobs", retries: 2, concurrency: { limit: 1 }, triggers: [{ cron: "0 3 * * *" }] },
  async ({ step }) => {
    const deleted = { completed: 0, failed: 0 };
    for (const kind of ["completed", "failed"] as const) {
      for (let batch = 0; batch < 200; batch++) {
        const r = await step.run(`prune-${kind}-${batch}`, () => pruneJobsBatch(kind));
        deleted[kind] += r.deleted;
        if (!r.more) break;
      }
    }
    const auxiliary = await step.run("prune-auxiliary", () => pruneAuxiliary());
    return { deleted, auxiliary };
  },
);

/** Every minute: the last few minutes of queue statistics (rewritten, so late finishes are counted too). */
export const snapshotQueueStatsCron = inngest.createFunction(
  { id: "snapshot-queue-stats", retries: 2, concurrency: { limit: 1 }, triggers: [{ cron: "* * * * *" }] },
  async ({ step }) =>
    step.run("aggregate", async () => {
      const to = new Date();
      const from = new Date(Math.floor(to.getTime() / 60_000) * 60_000 - 4 * 60_000);
      return { rows: await aggregateQueueStats({ from, to }), from: from.toISOString() };
    }),
);

const schedule = scheduleSettings();
const windowMs = schedule.PERIODIC_REPORT_WINDOW_SECONDS * 1000;

/**
 * A report per active organization for each window. The idempotency key is the window number computed from the
 * schedule event's time, so a restart, a catch-up fire or a second scheduler in the same window starts no second
 * run; each report is also an at-most-once side effect keyed by organization and window.
 */
export const periodicReportCron = inngest.createFunction(
  {
    id: "periodic-report",
    retries: 2,
    triggers: [{ cron: schedule.PERIODIC_REPORT_CRON }],
    idempotency: `string(int(event.ts / ${windowMs}))`,
  },
  async ({ event, step }) => {
    const window = Math.floor(Number(event.ts ?? Date.now()) / windowMs);
    const from = new Date(window * windowMs - windowMs);
    const to = new Date(window * windowMs);
    const orgs = await step.run("active-organizations", () => activeOrganizations(from, to));
    const reports: Array<{ orgId: string; status: string }> = [];
    for (const orgId of orgs) {
      const outcome = await step.run(`report-${orgId}`, () =>
        atMostOnce(
          `periodic-report:${orgId}:${window}`,
          { kind: "report" },
          () =>
            renderJobReport({
              orgId,
              from,
              to,
              title: `Periodic report ${from.toISOString()} – ${to.toISOString()}`,
              kind: "periodic-report",
            }),
          () => true,
        ),
      );
      reports.push({ orgId, status: outcome.status });
    }
    return { window, from: from.toISOString(), to: to.toISOString(), reports };
  },
);
