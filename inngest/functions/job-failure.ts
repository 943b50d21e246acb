import type { Context } from "inngest";
import { jobRefOf, recordFailed } from "@/server/services/jobs/record-progress";

/**
 * The failure handler job functions share: once retries are exhausted, the job is FAILED with the error.
 * (The middleware records the same on the final attempt; this also covers a failure the middleware could not
 * record, e.g. a database blip at that moment, because Inngest retries failure handlers.)
 */
export async function failJobOnFailure({
  event,
  error,
  step,
}: {
  event: { data: { event: { data?: { jobId?: string; orgId?: string } } } };
  error: Error;
  step: Pick<Context.Any["step"], "run">;
}): Promise<void> {
  const job = jobRefOf(event.data.event.data);
  if (job) await step.run("mark-job-failed", () => recordFailed(job, error));
}
