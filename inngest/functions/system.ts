import { jobRefOf, recordCancelled, recordFailed } from "@/server/services/jobs/record-progress";
import { inngest } from "../client";

interface FunctionEndEvent {
  data: {
    function_id?: string;
    run_id?: string;
    error?: { name?: string; message?: string };
    event?: { data?: { jobId?: string; orgId?: string } };
  };
}

/**
 * Every failed run of any function: its job (if it has one) becomes FAILED with the error. (ALERT_WEBHOOK_URL is an
 * installation-wide alert rule now, told once when failures start and once when they stop: evaluate-alerts.)
 */
export const trackFailures = inngest.createFunction(
  { id: "track-failures", retries: 3, triggers: [{ event: "inngest/function.failed" }] },
  async ({ event, step }) => {
    const { data } = event as unknown as FunctionEndEvent;
    const job = jobRefOf(data.event?.data);
    const jobId = job?.jobId;
    const error = { name: data.error?.name ?? "Error", message: data.error?.message ?? "the run failed" };
    if (job) await step.run("mark-job-failed", () => recordFailed(job, error));
    return { jobId: jobId ?? null, functionId: data.function_id ?? null };
  },
);

/** Every cancelled run: its job becomes CANCELLED (runs cancelled from the Inngest dashboard or API too). */
export const trackCancellations = inngest.createFunction(
  { id: "track-cancellations", retries: 3, triggers: [{ event: "inngest/function.cancelled" }] },
  async ({ event, step }) => {
    const { data } = event as unknown as FunctionEndEvent;
    const job = jobRefOf(data.event?.data);
    if (job) await step.run("mark-job-cancelled", () => recordCancelled(job, `run ${data.run_id ?? ""} was cancelled`.trim()));
    return { jobId: job?.jobId ?? null };
  },
);
