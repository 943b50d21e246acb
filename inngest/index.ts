import { periodicReportCron, pruneOldJobsCron, recoverStalledJobsCron, snapshotQueueStatsCron } from "./functions/maintenance";
import { relayOutboxCron } from "./functions/relay-outbox";
import { trackCancellations, trackFailures } from "./functions/system";
import { jobTypes } from "./jobs";

/** Every function the app serves at /api/inngest: one per job type, then the maintenance and system functions. */
export const functions = [
  ...jobTypes.map((t) => t.fn),
  recoverStalledJobsCron,
  pruneOldJobsCron,
  snapshotQueueStatsCron,
  periodicReportCron,
  trackFailures,
  trackCancellations,
  relayOutboxCron,
];
