import { approvalWorkflowFunction } from "./approval-workflow";
import { benchNoopFunction } from "./bench-noop";
import { benchSlotFunction } from "./bench-slot";
import { deliverWebhookFunction } from "./deliver-webhook";
import { demoTaskFunction } from "./demo-task";
import { generateContentFunction } from "./generate-content";
import type { JobFunction } from "./job-function";
import { processWithCreditsFunction } from "./process-with-credits";
import { renderReportFunction } from "./render-report";
import { sendWelcomeEmailFunction } from "./send-welcome-email";
import { syncAnalyticsFunction } from "./sync-analytics";

/**
 * The function of every job type callers can create (jobs/registry.ts lists the same types), the benchmarks' only
 * in a stack started for `npm run bench:stack` or `bench:tenants` (JOBDECK_BENCH_JOB_TYPES=1).
 */
const productFunctions: readonly JobFunction[] = [
  demoTaskFunction,
  sendWelcomeEmailFunction,
  deliverWebhookFunction,
  approvalWorkflowFunction,
  processWithCreditsFunction,
  renderReportFunction,
  generateContentFunction,
  syncAnalyticsFunction,
];
export const jobFunctions: readonly JobFunction[] =
  process.env.JOBDECK_BENCH_JOB_TYPES === "1" ? [...productFunctions, benchNoopFunction, benchSlotFunction] : productFunctions;
