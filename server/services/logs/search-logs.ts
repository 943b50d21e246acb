import { z } from "zod";
import { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import { validationError } from "../../errors";
import type { Scope } from "../../identity";
import { isJobId } from "../jobs/find-job";
import { parseInput } from "../validate";
import type { LogLevel } from "./log-buffer";

const LEVELS = new Set<LogLevel>(["debug", "info", "warn", "error"]);

export const searchLogsInput = z.object({
  q: z.string().max(500, "q: at most 500 characters").default(""),
  /** The id of the last line of the previous page (lines are newest first). */
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, "cursor: not a cursor this search returned")
    .optional(),
  limit: z.number().int().min(1).max(200).default(100),
});
export type SearchLogsInput = z.input<typeof searchLogsInput>;

export interface LogLineView {
  id: string;
  runId: string;
  jobId: string | null;
  functionId: string;
  stepId: string | null;
  stepName: string | null;
  attempt: number;
  level: string;
  message: string;
  at: string;
}

/** A query as typed in the search box: `level:error`, `run:<id>`, `fn:<function id>` and words to find. */
export interface LogQuery {
  level?: LogLevel;
  runId?: string;
  functionId?: string;
  words: string;
}

export function parseLogQuery(q: string): LogQuery {
  const out: LogQuery = { words: "" };
  const words: string[] = [];
  for (const token of q.split(/\s+/).filter(Boolean)) {
    const m = /^(level|run|fn):(.*)$/i.exec(token);
    if (!m) {
      words.push(token);
      continue;
    }
    const [, key, value = ""] = m;
    if (!value) throw validationError([{ path: ["q"], message: `${key}: needs a value, e.g. ${key}:error` }]);
    if (key?.toLowerCase() === "level") {
      const level = value.toLowerCase() as LogLevel;
      if (!LEVELS.has(level)) throw validationError([{ path: ["q"], message: `level: "${value}" is not debug, info, warn or error` }]);
      out.level = level;
    } else if (key?.toLowerCase() === "run") out.runId = value;
    else out.functionId = value;
  }
  out.words = words.join(" ");
  return out;
}

/** Who may read which lines: an organization its own; an operator every line, including runs without one. */
function visibleTo(scope: Scope, operator: boolean): Prisma.Sql {
  return operator ? Prisma.sql`TRUE` : Prisma.sql`"orgId" = ${scope.orgId}`;
}

const LINE_FIELDS = {
  id: true,
  runId: true,
  jobId: true,
  functionId: true,
  stepId: true,
  stepName: true,
  attempt: true,
  level: true,
  message: true,
  at: true,
} as const;

const toView = (r: Omit<LogLineView, "id" | "at"> & { id: bigint; at: Date }): LogLineView => ({
  ...r,
  id: r.id.toString(),
  at: r.at.toISOString(),
});

/** The search's statement, newest first; the words go through the full-text index (StepLog_searchVector_idx). */
export function logSearchSql(scope: Scope, operator: boolean, query: LogQuery, cursor: string | undefined, limit: number): Prisma.Sql {
  const conds: Prisma.Sql[] = [visibleTo(scope, operator)];
  if (query.words) conds.push(Prisma.sql`"searchVector" @@ websearch_to_tsquery('simple', ${query.words})`);
  if (query.level) conds.push(Prisma.sql`"level" = ${query.level}`);
  if (query.runId) conds.push(Prisma.sql`"runId" = ${query.runId}`);
  if (query.functionId) conds.push(Prisma.sql`"functionId" = ${query.functionId}`);
  if (cursor) conds.push(Prisma.sql`"id" < ${BigInt(cursor)}`);
  return Prisma.sql`
    SELECT "id", "runId", "jobId"::text AS "jobId", "functionId", "stepId", "stepName", "attempt", "level", "message", "at"
      FROM "StepLog" WHERE ${Prisma.join(conds, " AND ")} ORDER BY "id" DESC LIMIT ${limit + 1}`;
}

/** Log lines across runs matching a query, newest first, one page at a time. */
export async function searchLogs(
  scope: Scope,
  operator: boolean,
  raw: SearchLogsInput,
): Promise<{ lines: LogLineView[]; cursor: string | null }> {
  const input = parseInput(searchLogsInput, raw);
  const query = parseLogQuery(input.q);
  const rows = await db().$queryRaw<Parameters<typeof toView>[0][]>(logSearchSql(scope, operator, query, input.cursor, input.limit));
  const page = rows.slice(0, input.limit).map(toView);
  return { lines: page, cursor: rows.length > input.limit ? (page[page.length - 1]?.id ?? null) : null };
}

/** The lines of a job or of one run (at most 5,000, the oldest first), for a step timeline. */
async function linesWhere(where: Prisma.StepLogWhereInput): Promise<LogLineView[]> {
  const rows = await db().stepLog.findMany({ where, orderBy: [{ at: "asc" }, { id: "asc" }], take: 5_000, select: LINE_FIELDS });
  return rows.map(toView);
}

export const jobLogs = async (scope: Scope, jobId: string) => (isJobId(jobId) ? linesWhere({ jobId, orgId: scope.orgId }) : []);
export const runLogs = (scope: Scope, operator: boolean, runId: string) =>
  linesWhere({ runId, ...(operator ? {} : { orgId: scope.orgId }) });
