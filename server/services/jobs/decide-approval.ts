import { z } from "zod";
import { db } from "../../db";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { enqueueEvent, jobDecisionEventId } from "../outbox/enqueue-event";
import { relayOutbox } from "../outbox/relay-outbox";
import { parseInput } from "../validate";
import { findScopedJob } from "./find-job";
import { type JobView, toJobView } from "./job-view";
import { lockOrganization } from "./org-lock";

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
  const input = parseInput(decisionInput, raw);
  const { job, eventId } = await db().$transaction(async (tx) => {
    await lockOrganization(tx, scope.orgId);
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
    await enqueueEvent(tx, {
      id: eventId,
      jobId: job.id,
      name: "approval/decision.made",
      data: { jobId: job.id, orgId: job.orgId, decision: input.decision, decidedBy: scope.userId, comment: input.comment },
    });
    return { job, eventId };
  });
  await relayOutbox({ ids: [eventId] }).catch(() => undefined);
  return toJobView(job);
}
