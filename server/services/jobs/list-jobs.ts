import { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { parseInput } from "../validate";
import { isJobId } from "./find-job";
import { type ListJobsInput, listJobsInput } from "./inputs";
import { type CountBucket, readJobCounts, sumBuckets } from "./job-counts";
import {
  assertSearchable,
  filterConditions,
  filtersStatus,
  type JobFilterInput,
  type JobRow,
  jobColumns,
  statusesOf,
  statusIn,
  textQuery,
  utc,
} from "./job-query";
import { type JobView, toJobView } from "./job-view";
import { payloadFor } from "./mask-sensitive";

export interface JobPage {
  items: JobView[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Newest first; the cursor is the (createdAt, id) of the last item, so pages never skip or repeat a job. */
export function encodeCursor(createdAt: Date, id: string): string {
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

/** Fewer jobs than this in the whole table contain the searched words: the search reads them all from its index. */
const RARE_MATCHES = 5_000;

/**
 * Whether the searched words are rare in the whole table (fewer than RARE_MATCHES jobs have them). Asked of the
 * full-text index alone, which answers at once either way: a rare word is then read from that index and sorted (a
 * few thousand rows at most); a common one walks the list's own index until the page is full. PostgreSQL cannot tell
 * the two apart from its statistics for prefix words, and walked a million jobs' index for a rare one (3 s).
 */
export async function isRareText(q: string): Promise<boolean> {
  const rows = await db().$queryRaw<Array<{ n: number }>>`
    SELECT count(*)::int AS n FROM (SELECT 1 FROM "Job" WHERE "searchVector" @@ ${textQuery(q)} LIMIT ${RARE_MATCHES}) AS hits`;
  return (rows[0]?.n ?? 0) < RARE_MATCHES;
}

/** A filter's jobs newest first, from `before` on: one index range per status, merged. */
export function pageQuery(
  scope: Scope,
  f: JobFilterInput,
  before: { createdAt: Date; id: string } | undefined,
  take: number,
  rareText = false,
): Prisma.Sql {
  // Rare words: every job that has them, from the full-text index (materialized, so it is read that way), then the
  // rest of the filter and the order on those few rows.
  if (f.q && rareText) {
    const rest: JobFilterInput = { ...f, q: undefined };
    const where = [filterConditions(scope, rest), statusIn(statusesOf(rest))];
    if (before) where.push(Prisma.sql`("createdAt", "id") < (${utc(before.createdAt)}, ${before.id}::uuid)`);
    return Prisma.sql`WITH hits AS MATERIALIZED (SELECT * FROM "Job" WHERE "searchVector" @@ ${textQuery(f.q)})
      SELECT ${jobColumns()} FROM hits WHERE ${Prisma.join(where, " AND ")} ORDER BY "createdAt" DESC, "id" DESC LIMIT ${take}`;
  }
  const where = [filterConditions(scope, f)];
  if (before) where.push(Prisma.sql`("createdAt", "id") < (${utc(before.createdAt)}, ${before.id}::uuid)`);
  const order = Prisma.sql`ORDER BY "createdAt" DESC, "id" DESC LIMIT ${take}`;
  // No status and no type: the organization's (createdAt, id) index is already in list order.
  if (!filtersStatus(f) && !f.type) return Prisma.sql`SELECT ${jobColumns()} FROM "Job" WHERE ${Prisma.join(where, " AND ")} ${order}`;
  // Otherwise each status is its own range of the (orgId[, type], status, createdAt, id) index: read the first
  // `take` of each and merge, instead of sorting every matching row (PostgreSQL 15 cannot skip-scan).
  const statuses = statusesOf(f);
  // An empty status list selects nothing (and a UNION of no ranges is no statement).
  if (!statuses.length) return Prisma.sql`SELECT ${jobColumns()} FROM "Job" WHERE false`;
  const ranges = statuses.map(
    (status) =>
      Prisma.sql`(SELECT ${jobColumns()} FROM "Job" WHERE ${Prisma.join([...where, Prisma.sql`"status" = ${status}::"JobStatus"`], " AND ")} ${order})`,
  );
  return Prisma.sql`SELECT * FROM (${Prisma.join(ranges, " UNION ALL ")}) AS page ${order}`;
}

export async function listJobs(scope: Scope, raw: ListJobsInput = {}): Promise<JobPage> {
  const input = parseInput(listJobsInput, raw);
  assertSearchable(input.q);
  const before = input.cursor ? decodeCursor(input.cursor) : undefined;
  const rare = input.q ? await isRareText(input.q) : false;
  const rows = await db().$queryRaw<JobRow[]>(pageQuery(scope, input, before, input.limit + 1, rare));
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => {
      const view = toJobView(row);
      return { ...view, payload: payloadFor(scope, view.type, view.payload) };
    }),
    nextCursor: rows.length > input.limit && last ? encodeCursor(last.createdAt, last.id) : null,
  };
}

/** Counting stops here: past it the console says "1,000+" (and bulk actions refuse anyway). */
export const COUNT_CAP = 1_000;

export interface JobCountResult {
  /** How many jobs match; COUNT_CAP when `capped`. */
  count: number;
  /** More than COUNT_CAP match (only for filters the maintained counts cannot answer: text and dates). */
  capped: boolean;
}

/**
 * How many jobs match the list's filters (for "select all N matching"). Filters by status, type and
 * acknowledgement are read from the maintained counts, exactly; a text, tag or date filter counts matching rows up
 * to COUNT_CAP, so a poll never walks a million index entries.
 */
export async function countJobs(scope: Scope, raw: ListJobsInput = {}): Promise<JobCountResult> {
  const input = parseInput(listJobsInput, { ...raw, cursor: undefined });
  assertSearchable(input.q);
  if (!input.q && !input.tag && !input.createdFrom && !input.createdTo) {
    const counts = await readJobCounts(db(), scope.orgId);
    const buckets: CountBucket[] = input.unacknowledged ? ["UNACKNOWLEDGED"] : statusesOf(input);
    return { count: sumBuckets(counts, buckets, input.type), capped: false };
  }
  const rows = await db().$queryRaw<Array<{ n: number }>>(
    input.q && (await isRareText(input.q))
      ? Prisma.sql`SELECT count(*)::int AS n FROM (${pageQuery(scope, input, undefined, COUNT_CAP + 1, true)}) AS matching`
      : Prisma.sql`SELECT count(*)::int AS n FROM (
          SELECT 1 FROM "Job" WHERE ${filterConditions(scope, input)} AND ${statusIn(statusesOf(input))} LIMIT ${COUNT_CAP + 1}
        ) AS matching`,
  );
  const n = rows[0]?.n ?? 0;
  return n > COUNT_CAP ? { count: COUNT_CAP, capped: true } : { count: n, capped: false };
}
