import { approvalDecisionMade, approvalWorkflow } from "./approval-workflow";
import { benchNoop } from "./bench-noop";
import type { JobTypeDefinition } from "./define-job-type";
import { deliverWebhook } from "./deliver-webhook";
import { demoTask } from "./demo-task";
import { jobCancelRequested } from "./follow-up-events";
import { generateContent } from "./generate-content";
import { processWithCredits } from "./process-with-credits";
import { renderReport } from "./render-report";
import { sendWelcomeEmail } from "./send-welcome-email";
import { syncAnalytics } from "./sync-analytics";

const productTypes = [
  demoTask,
  sendWelcomeEmail,
  deliverWebhook,
  approvalWorkflow,
  processWithCredits,
  renderReport,
  generateContent,
  syncAnalytics,
] as const satisfies readonly JobTypeDefinition[];

/**
 * Every job type a caller can create through the job service, in the order the console lists them; the benchmark's
 * no-op type only in a stack started for `npm run bench:stack` (JOBDECK_BENCH_JOB_TYPES=1).
 */
export const jobTypes: readonly JobTypeDefinition[] =
  process.env.JOBDECK_BENCH_JOB_TYPES === "1" ? [...productTypes, benchNoop] : productTypes;

export type JobType = (typeof productTypes)[number]["type"];

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
