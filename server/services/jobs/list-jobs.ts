import type { z } from "zod";
import type { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { parseInput } from "../validate";
import { isJobId } from "./find-job";
import { type ListJobsInput, listJobsInput } from "./inputs";
import { type JobView, toJobView } from "./job-view";

export interface JobPage {
  items: JobView[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Newest first; the cursor is the (createdAt, id) of the last item, so pages never skip or repeat a job. */
function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const createdAt = new Date(at ?? "");
  if (!id || !isJobId(id) || Number.isNaN(createdAt.getTime())) {
    throw new AppError("BAD_REQUEST", "invalid cursor: pass the nextCursor of a previous page", {
      details: [{ path: "cursor", message: "not a cursor returned by this API" }],
    });
  }
  return { createdAt, id };
}

/**
 * The filters of a list query as a Prisma where clause (shared with counting and bulk actions "on everything
 * matching"). Takes raw input and validates it, so every caller rejects bad filters the same way.
 */
export function jobFilterWhere(scope: Scope, input: ListJobsInput): Prisma.JobWhereInput {
  return whereOf(scope, parseInput(listJobsInput, input));
}

function whereOf(scope: Scope, f: z.output<typeof listJobsInput>): Prisma.JobWhereInput {
  const statuses = f.status === undefined ? undefined : Array.isArray(f.status) ? f.status : [f.status];
  const where: Prisma.JobWhereInput = { orgId: scope.orgId };
  if (statuses) where.status = { in: statuses };
  if (f.type) where.type = f.type;
  // Text, not a pattern: % and _ from the user match themselves.
  if (f.q) where.searchText = { contains: f.q.toLowerCase().replace(/[\\%_]/g, "\\$&") };
  if (f.createdFrom || f.createdTo) where.createdAt = { gte: f.createdFrom, lte: f.createdTo };
  if (f.unacknowledged) {
    where.status = { in: ["FAILED"] };
    where.failureAcknowledgedAt = null;
  }
  return where;
}

export async function listJobs(scope: Scope, raw: ListJobsInput = {}): Promise<JobPage> {
  const input = parseInput(listJobsInput, raw);
  const where = whereOf(scope, input);
  if (input.cursor) {
    const c = decodeCursor(input.cursor);
    where.AND = [{ OR: [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }] }];
  }
  const rows = await db().job.findMany({ where, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: input.limit + 1 });
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(toJobView),
    nextCursor: rows.length > input.limit && last ? encodeCursor(last.createdAt, last.id) : null,
  };
}

/** How many jobs match the list's filters (for "select all N matching"). */
export async function countJobs(scope: Scope, raw: ListJobsInput = {}): Promise<{ count: number }> {
  return { count: await db().job.count({ where: jobFilterWhere(scope, { ...raw, cursor: undefined }) }) };
}
