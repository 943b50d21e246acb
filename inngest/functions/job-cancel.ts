import { jobCancelRequested, SAME_JOB } from "@/jobs";

/** The cancelOn entry every job function uses, so a cancelled job's run stops at its next step. */
export function cancelOnJobCancel(): Array<{ event: typeof jobCancelRequested; if: string }> {
  return [{ event: jobCancelRequested, if: SAME_JOB }];
}
