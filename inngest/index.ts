import { approvalWorkflow } from "./functions/approval-workflow";
import { deliverWebhook } from "./functions/deliver-webhook";
import { demoTask } from "./functions/demo-task";
import { generateContent } from "./functions/generate-content";
import { periodicReportCron, pruneOldJobsCron, recoverStalledJobsCron, snapshotQueueStatsCron } from "./functions/maintenance";
import { processWithCredits } from "./functions/process-with-credits";
import { relayOutboxCron } from "./functions/relay-outbox";
import { renderReport } from "./functions/render-report";
import { sendWelcomeEmail } from "./functions/send-welcome-email";
import { syncAnalytics } from "./functions/sync-analytics";
import { trackCancellations, trackFailures } from "./functions/system";

/** Every function the app serves at /api/inngest. */
export const functions = [
  demoTask,
  sendWelcomeEmail,
  deliverWebhook,
  approvalWorkflow,
  processWithCredits,
  renderReport,
  generateContent,
  syncAnalytics,
  recoverStalledJobsCron,
  pruneOldJobsCron,
  snapshotQueueStatsCron,
  periodicReportCron,
  trackFailures,
  trackCancellations,
  relayOutboxCron,
];
