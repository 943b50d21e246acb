import { approvalDecisionMade, SAME_JOB } from "@/jobs";
import { approvalWorkflow, DEFAULT_APPROVAL_TIMEOUT } from "@/jobs/approval-workflow";
import { jobFunction } from "./job-function";

/**
 * A request that needs a human: prepare, wait for `approval/decision.made` with this job's id (sent by the
 * console or `POST /api/jobs/:id/decision`), then execute or reject. No decision before the timeout (24 h by
 * default) ends it as REJECTED with reason "expired".
 */
export const approvalWorkflowFunction = jobFunction(
  approvalWorkflow,
  // Its tenant key: a waiting approval holds no slot, so this bounds only what one organization has executing.
  { retries: 3, concurrency: { limit: 50, key: "event.data.orgId" } },
  async ({ event, step }) => {
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
);
