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

/**
 * Who may read which lines: an organization its own; an operator every line, including runs without one. The
 * organization is spelled as a range of one value so the ORDER BY "orgId", "id" DESC keeps it and is served by the
 * (orgId, id) index alone: with `=` PostgreSQL drops it from the order and walks the newest lines of every
 * organization backwards for a page of this one's (every other organization's newer lines, read and thrown away).
 */
function visibleTo(scope: Scope, operator: boolean): Prisma.Sql {
  return operator ? Prisma.sql`TRUE` : Prisma.sql`"orgId" >= ${scope.orgId} AND "orgId" <= ${scope.orgId}`;
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

/** Fewer lines than this in the whole table contain the searched words: the search reads them all from its index. */
const RARE_MATCHES = 5_000;

const wordsQuery = (words: string) => Prisma.sql`websearch_to_tsquery('simple', ${words})`;

/**
 * Whether the searched words are rare in the whole table (fewer than RARE_MATCHES lines have them), asked of the
 * full-text index alone, which answers at once either way. A rare word is then read from that index and sorted; a
 * common one walks the newest lines until the page is full. PostgreSQL's estimate cannot tell the two apart and
 * walked every line of a big organization for a word only one of them has.
 */
export async function areRareWords(words: string): Promise<boolean> {
  const rows = await db().$queryRaw<Array<{ n: number }>>`
    SELECT count(*)::int AS n FROM (SELECT 1 FROM "StepLog" WHERE "searchVector" @@ ${wordsQuery(words)} LIMIT ${RARE_MATCHES}) AS hits`;
  return (rows[0]?.n ?? 0) < RARE_MATCHES;
}

const COLUMNS = Prisma.sql`"id", "runId", "jobId"::text AS "jobId", "functionId", "stepId", "stepName", "attempt", "level", "message", "at"`;

/**
 * The search's statement, newest first. Rare words: every line that has them, from the full-text index (materialized,
 * so it is read that way), then the rest of the query on those few. Otherwise an organization's lines are read
 * through its (orgId, id) index (visibleTo).
 */
export function logSearchSql(
  scope: Scope,
  operator: boolean,
  query: LogQuery,
  cursor: string | undefined,
  limit: number,
  rareWords = false,
): Prisma.Sql {
  const conds: Prisma.Sql[] = [visibleTo(scope, operator)];
  if (query.level) conds.push(Prisma.sql`"level" = ${query.level}`);
  if (query.runId) conds.push(Prisma.sql`"runId" = ${query.runId}`);
  if (query.functionId) conds.push(Prisma.sql`"functionId" = ${query.functionId}`);
  if (cursor) conds.push(Prisma.sql`"id" < ${BigInt(cursor)}`);
  if (query.words && rareWords) {
    return Prisma.sql`WITH hits AS MATERIALIZED (SELECT * FROM "StepLog" WHERE "searchVector" @@ ${wordsQuery(query.words)})
      SELECT ${COLUMNS} FROM hits WHERE ${Prisma.join(conds, " AND ")} ORDER BY "id" DESC LIMIT ${limit + 1}`;
  }
  if (query.words) conds.push(Prisma.sql`"searchVector" @@ ${wordsQuery(query.words)}`);
  const order = operator ? Prisma.sql`"id" DESC` : Prisma.sql`"orgId", "id" DESC`;
  return Prisma.sql`SELECT ${COLUMNS} FROM "StepLog" WHERE ${Prisma.join(conds, " AND ")} ORDER BY ${order} LIMIT ${limit + 1}`;
}

/** Log lines across runs matching a query, newest first, one page at a time. */
export async function searchLogs(
  scope: Scope,
  operator: boolean,
  raw: SearchLogsInput,
): Promise<{ lines: LogLineView[]; cursor: string | null }> {
  const input = parseInput(searchLogsInput, raw);
  const query = parseLogQuery(input.q);
  const rare = query.words ? await areRareWords(query.words) : false;
  const rows = await db().$queryRaw<Parameters<typeof toView>[0][]>(logSearchSql(scope, operator, query, input.cursor, input.limit, rare));
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
