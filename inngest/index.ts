import { approvalWorkflow } from "./functions/approval-workflow";
import { deliverWebhook } from "./functions/deliver-webhook";
import { demoTask } from "./functions/demo-task";
import { periodicReportCron, pruneOldJobsCron, recoverStalledJobsCron, snapshotQueueStatsCron } from "./functions/maintenance";
import { processWithCredits } from "./functions/process-with-credits";
import { generateContent, renderReport, syncAnalytics } from "./functions/queues";
import { relayOutboxCron } from "./functions/relay-outbox";
import { sendWelcomeEmail } from "./functions/send-welcome-email";
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
