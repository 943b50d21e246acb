import { approvalDecisionMade, approvalWorkflow } from "./approval-workflow";
import type { JobTypeDefinition } from "./define-job-type";
import { deliverWebhook } from "./deliver-webhook";
import { demoTask } from "./demo-task";
import { jobCancelRequested } from "./follow-up-events";
import { generateContent } from "./generate-content";
import { processWithCredits } from "./process-with-credits";
import { renderReport } from "./render-report";
import { sendWelcomeEmail } from "./send-welcome-email";
import { syncAnalytics } from "./sync-analytics";

/** Every job type a caller can create through the job service, in the order the console lists them. */
export const jobTypes = [
  demoTask,
  sendWelcomeEmail,
  deliverWebhook,
  approvalWorkflow,
  processWithCredits,
  renderReport,
  generateContent,
  syncAnalytics,
] as const satisfies readonly JobTypeDefinition[];

export type JobType = (typeof jobTypes)[number]["type"];

export const JOB_TYPE_NAMES = jobTypes.map((t) => t.type);

const byType = new Map<string, JobTypeDefinition>(jobTypes.map((t) => [t.type, t]));

export function jobTypeOf(type: string): JobTypeDefinition | undefined {
  return byType.get(type);
}

/**
 * Every event the app's job functions are started, resumed or cancelled by. Only the job service sends these (with
 * the job's organization), so the console's "send event" refuses them.
 */
export const APP_EVENT_NAMES: ReadonlySet<string> = new Set([
  ...jobTypes.map((t) => t.eventName),
  approvalDecisionMade.name,
  jobCancelRequested.name,
]);
