import { z } from "zod";
import { approvalDecisionMade, jobDecisionEventId } from "@/jobs";
import { AppError } from "../../errors";
import { requireRole, type Scope } from "../../identity";
import { parseInput } from "../validate";
import { findScopedJob } from "./find-job";
import { runJobCommand } from "./job-command";
import { type JobView, toJobView } from "./job-view";

export const decisionInput = z.object({
  decision: z.enum(["approve", "reject"], "must be approve or reject"),
  comment: z.string().max(2_000).optional(),
});
export type DecisionInput = z.input<typeof decisionInput>;

/**
 * Sends the decision an approval-workflow job waits for. Only a job that is waiting for its decision takes one
 * (409 otherwise: before the wait starts the event would match nothing, and a second decision would be ignored).
 */
export async function decideApproval(scope: Scope, id: string, raw: DecisionInput): Promise<JobView> {
  requireRole(scope, "member", "deciding an approval");
  const input = parseInput(decisionInput, raw);
  const job = await runJobCommand(scope, async (tx, emit, audit) => {
    const job = await findScopedJob(tx, scope, id);
    if (job.type !== "approval-workflow") throw new AppError("CONFLICT", `job ${id} is a ${job.type} job, not an approval`);
    const waiting = await tx.jobStep.findFirst({
      where: { jobId: job.id, runId: job.runId, kind: "WAIT_FOR_EVENT", status: "RUNNING" },
    });
    if (job.status !== "WAITING" || !waiting) {
      throw new AppError("CONFLICT", `job ${id} is ${job.status} and not waiting for a decision`);
    }
    const eventId = jobDecisionEventId(job.id, job.attempt);
    if (await tx.outboxEvent.findUnique({ where: { id: eventId } })) throw new AppError("CONFLICT", `job ${id} already has a decision`);
    await emit({
      id: eventId,
      jobId: job.id,
      name: approvalDecisionMade.name,
      data: { jobId: job.id, orgId: job.orgId, decision: input.decision, decidedBy: scope.userId, comment: input.comment },
    });
    await audit({
      action: `job.${input.decision}`,
      targetType: "job",
      targetId: job.id,
      after: { decision: input.decision, comment: input.comment ?? null },
    });
    return job;
  });
  return toJobView(job);
}
