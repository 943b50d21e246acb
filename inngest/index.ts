import { evaluateAlertsCron } from "./functions/alerts";
import { periodicReportCron, pruneOldJobsCron, recoverStalledJobsCron, snapshotQueueStatsCron } from "./functions/maintenance";
import { relayOutboxCron } from "./functions/relay-outbox";
import { trackCancellations, trackFailures } from "./functions/system";
import { jobFunctions } from "./jobs";

/** Every function the app serves at /api/inngest: one per job type, then the maintenance and system functions. */
export const functions = [
  ...jobFunctions.map((j) => j.fn),
  recoverStalledJobsCron,
  pruneOldJobsCron,
  snapshotQueueStatsCron,
  periodicReportCron,
  trackFailures,
  trackCancellations,
  relayOutboxCron,
  evaluateAlertsCron,
];
