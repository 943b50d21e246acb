import { z } from "zod";
import { db } from "../../db";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { parseInput } from "../validate";
import { cancelJob } from "./cancel-job";
import { jobId, listJobsInput } from "./inputs";
import { jobFilterWhere } from "./list-jobs";
import { retryJob } from "./retry-job";

const MAX_BULK = 1_000;

/** Either explicit ids, or "everything matching this filter" (the list's filters). */
export const bulkInput = z
  .object({
    action: z.enum(["retry", "cancel"]),
    ids: z.array(jobId).min(1).max(MAX_BULK).optional(),
    filter: listJobsInput.omit({ cursor: true, limit: true }).optional(),
  })
  .refine((v) => Boolean(v.ids) !== Boolean(v.filter), { message: "give either ids or filter", path: ["ids"] });

export interface BulkResult {
  action: "retry" | "cancel";
  matched: number;
  done: number;
  /** Jobs that could not take the action (e.g. retrying a COMPLETED job), with the reason. */
  skipped: Array<{ id: string; reason: string }>;
}

/**
 * Retries or cancels many jobs, one service call each, so every job gets exactly the single-job semantics
 * (its own transaction, outbox event and limit check). A job that cannot take the action is reported, not fatal.
 */
export async function bulkJobs(scope: Scope, raw: z.input<typeof bulkInput>): Promise<BulkResult> {
  const input = parseInput(bulkInput, raw);
  const eligible = input.action === "retry" ? (["FAILED", "CANCELLED"] as const) : (["QUEUED", "RUNNING", "WAITING"] as const);
  let ids = input.ids;
  if (input.filter) {
    const rows = await db().job.findMany({
      where: { ...jobFilterWhere(scope, input.filter), status: { in: [...eligible] } },
      select: { id: true },
      orderBy: { createdAt: "asc" },
      take: MAX_BULK + 1,
    });
    if (rows.length > MAX_BULK) throw new AppError("BAD_REQUEST", `more than ${MAX_BULK} jobs match; narrow the filter`);
    ids = rows.map((r) => r.id);
  }
  const result: BulkResult = { action: input.action, matched: ids?.length ?? 0, done: 0, skipped: [] };
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
