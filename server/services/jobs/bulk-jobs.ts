import { z } from "zod";
import type { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { parseInput } from "../validate";
import { cancelJob } from "./cancel-job";
import { isJobId } from "./find-job";
import { jobId, listJobsInput } from "./inputs";
import { ACTIVE, RETRYABLE } from "./job-status";
import { jobFilterWhere } from "./list-jobs";
import { retryJob } from "./retry-job";

const MAX_BULK = 1_000;

/** Either explicit ids, or "everything matching this filter" (the list's filters). */
export const bulkInput = z
  .object({
    action: z.enum(["retry", "cancel", "acknowledge"]),
    ids: z.array(jobId).min(1).max(MAX_BULK).optional(),
    filter: listJobsInput.omit({ cursor: true, limit: true }).optional(),
  })
  .refine((v) => Boolean(v.ids) !== Boolean(v.filter), { message: "give either ids or filter", path: ["ids"] });

type BulkAction = z.infer<typeof bulkInput>["action"];

export interface BulkResult {
  action: BulkAction;
  matched: number;
  done: number;
  /** Jobs that could not take the action (e.g. retrying a COMPLETED job), with the reason. */
  skipped: Array<{ id: string; reason: string }>;
}

/** The jobs each action applies to; a filter selects only these. */
const ELIGIBLE: Record<BulkAction, Prisma.JobWhereInput> = {
  retry: { status: { in: [...RETRYABLE] } },
  cancel: { status: { in: [...ACTIVE] } },
  acknowledge: { status: "FAILED", failureAcknowledgedAt: null },
};

/**
 * Retries or cancels many jobs, one service call each, so every job gets exactly the single-job semantics
 * (its own transaction, outbox event and limit check), or acknowledges many failures at once. A job that cannot
 * take the action is reported, not fatal.
 */
export async function bulkJobs(scope: Scope, raw: z.input<typeof bulkInput>): Promise<BulkResult> {
  const input = parseInput(bulkInput, raw);
  let ids = input.ids;
  if (input.filter) {
    const rows = await db().job.findMany({
      where: { ...jobFilterWhere(scope, input.filter), ...ELIGIBLE[input.action] },
      select: { id: true },
      orderBy: { createdAt: "asc" },
      take: MAX_BULK + 1,
    });
    if (rows.length > MAX_BULK) throw new AppError("BAD_REQUEST", `more than ${MAX_BULK} jobs match; narrow the filter`);
    ids = rows.map((r) => r.id);
  }
  const result: BulkResult = { action: input.action, matched: ids?.length ?? 0, done: 0, skipped: [] };
  if (input.action === "acknowledge") return acknowledgeMany(scope, ids ?? [], result);
  for (const id of ids ?? []) {
    try {
      if (input.action === "retry") await retryJob(scope, id);
      else await cancelJob(scope, id);
      result.done++;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      result.skipped.push({ id, reason: err.message });
      // Over the active-job limit: the rest would be refused too.
      if (err.code === "TOO_MANY_REQUESTS") break;
    }
  }
  return result;
}

/** Acknowledging touches no run, so it is one statement over the ids that are unacknowledged failures. */
async function acknowledgeMany(scope: Scope, ids: string[], result: BulkResult): Promise<BulkResult> {
  const rows = await db().job.findMany({
    where: { orgId: scope.orgId, id: { in: ids.filter(isJobId) } },
    select: { id: true, status: true, failureAcknowledgedAt: true },
  });
  const found = new Map(rows.map((r) => [r.id, r]));
  const eligible: string[] = [];
  for (const id of ids) {
    const job = found.get(id);
    if (!job) result.skipped.push({ id, reason: `no job with id "${id}"` });
    else if (job.status !== "FAILED") result.skipped.push({ id, reason: `job ${id} is ${job.status}, not FAILED` });
    else if (job.failureAcknowledgedAt) result.skipped.push({ id, reason: `job ${id} was already acknowledged` });
    else eligible.push(id);
  }
  const { count } = await db().job.updateMany({
    where: { orgId: scope.orgId, id: { in: eligible }, ...ELIGIBLE.acknowledge },
    data: { failureAcknowledgedAt: new Date() },
  });
  result.done = count;
  return result;
}
