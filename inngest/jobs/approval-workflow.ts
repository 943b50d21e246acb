import { eventType } from "inngest";
import { z } from "zod";
import { defineJobType } from "./define-job-type";
import { duration } from "./fields";
import { SAME_JOB } from "./follow-up-events";

export const DEFAULT_APPROVAL_TIMEOUT = "24h";

/** The human decision an approval-workflow run waits for, matched on `data.jobId` and `data.orgId`. */
export const approvalDecisionMade = eventType("approval/decision.made", {
  schema: z.object({
    jobId: z.string(),
    orgId: z.string().optional(),
    decision: z.enum(["approve", "reject"]),
    decidedBy: z.string().optional(),
    comment: z.string().optional(),
  }),
});

/**
 * A request that needs a human: prepare, wait for `approval/decision.made` with this job's id (sent by the
 * console or `POST /api/jobs/:id/decision`), then execute or reject. No decision before the timeout (24 h by
 * default) ends it as REJECTED with reason "expired".
 */
export const approvalWorkflow = defineJobType({
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
  options: { id: "approval-workflow", retries: 3 },
  handler: async ({ event, step }) => {
    const request = await step.run("prepare", () => ({
      title: event.data.title,
      amount: event.data.amount ?? null,
      preparedAt: new Date().toISOString(),
    }));
    const timeout = event.data.timeout ?? DEFAULT_APPROVAL_TIMEOUT;
    const decision = await step.waitForEvent("wait-for-decision", { event: approvalDecisionMade, if: SAME_JOB, timeout });
    if (!decision) return { outcome: "REJECTED", reason: "expired", request, timeout };
    const by = { decidedBy: decision.data.decidedBy ?? null, comment: decision.data.comment ?? null };
    if (decision.data.decision === "approve") {
      const executed = await step.run("execute", () => ({ executedAt: new Date().toISOString(), title: request.title }));
      return { outcome: "APPROVED", ...by, request, executed };
    }
    await step.run("reject", () => ({ rejectedAt: new Date().toISOString() }));
    return { outcome: "REJECTED", reason: "rejected", ...by, request };
  },
});
