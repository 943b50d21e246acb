import { z } from "zod";
import { defineJob } from "./define-job";
import { duration } from "./fields";

export const DEFAULT_APPROVAL_TIMEOUT = "24h";

/** A request that needs a human: it waits for `approval/decision.made` (jobs/events.ts) with its job's id. */
export const approvalWorkflow = defineJob({
  type: "approval-workflow",
  label: "Approval workflow",
  description: "Prepares a request, waits for a human approve/reject decision (24 h by default), then executes or rejects.",
  payload: z.object({
    title: z.string().min(1).max(200),
    details: z.string().max(5_000).optional(),
    amount: z.number().nonnegative().optional(),
    timeout: duration.optional().describe("How long to wait for a decision (default 24h)"),
  }),
  event: "approval/requested",
  example: { title: "Approve the Q3 budget", amount: 1200 },
});
