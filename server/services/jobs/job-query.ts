import type { z } from "zod";
import { type Job, Prisma } from "@/generated/prisma/client";
import { JobStatus } from "@/generated/prisma/enums";
import { validationError } from "../../errors";
import type { Scope } from "../../identity";
import type { listJobsInput } from "./inputs";

/**
 * The list's filters as SQL, shared by listing, counting and bulk actions "on everything matching", so every
 * one selects the same jobs. Written as SQL rather than a Prisma where clause because the hot paths need shapes
 * Prisma cannot say: a row-comparison cursor that starts inside the index, full-text search, and one index range
 * per status (list-jobs.ts).
 */

export type JobFilterInput = Omit<z.output<typeof listJobsInput>, "limit" | "cursor">;

/** Every status, in the order the enum declares them. */
export const ALL_STATUSES = Object.values(JobStatus) as JobStatus[];

/** A job's columns, for raw queries (not the generated search vector, which the app never reads). */
const COLUMNS = Prisma.raw(
  Object.values(Prisma.JobScalarFieldEnum)
    .map((c) => `"${c}"`)
    .join(", "),
);
export const jobColumns = () => COLUMNS;

/** A raw row of "Job" as Prisma's raw queries return it: the model's fields with the same JavaScript types. */
export type JobRow = Job;

/** A Date as the UTC timestamp(3) Prisma stores, so comparisons stay on the column's type (and its index). */
export const utc = (at: Date) => Prisma.sql`(${at.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;

/**
 * `q` as a full-text query: its words, all required, each also as a prefix ("zanz" finds "zanzibar", "needle-in"
 * finds "needle-in-payload"), parsed by PostgreSQL's own parser, so nothing the user types is syntax. 'simple'
 * matches words as written (lower-cased), without stemming or stop words: ids and codes are found.
 */
export function textQuery(q: string): Prisma.Sql {
  // plainto_tsquery's output is `'word' & 'other'` (quotes inside a word doubled); each quoted word gets `:*`.
  // An expression of the parameter, not a subquery: the planner evaluates it to estimate how rare the words are
  // (a rare word is a GIN lookup, a common one walks the list's index until the page is full).
  const words = Prisma.sql`plainto_tsquery('simple', ${q})`;
  return Prisma.sql`(CASE WHEN numnode(${words}) = 0 THEN ${words}
    ELSE regexp_replace(${words}::text, ${QUOTED_WORD}, ${AS_PREFIX}, 'g')::tsquery END)`;
}

/** A quoted word in a tsquery's text form: `'…'` with any quote inside doubled. */
const QUOTED_WORD = "'(?:[^']|'')*'";
/** regexp_replace's replacement: the whole match (`\&`) followed by the prefix mark. */
const AS_PREFIX = "\\&:*";

/** A search needs something PostgreSQL's parser makes a word of: a letter or a digit. */
export function assertSearchable(q: string | undefined): void {
  if (q !== undefined && !/[\p{L}\p{N}]/u.test(q)) {
    throw validationError([
      { path: ["q"], message: "search finds words and word prefixes in the payload: give at least one letter or digit" },
    ]);
  }
}

/** The statuses a filter selects (all of them when it names none). */
export function statusesOf(f: JobFilterInput): JobStatus[] {
  if (f.unacknowledged) return ["FAILED"];
  if (f.status === undefined) return ALL_STATUSES;
  const wanted = new Set(Array.isArray(f.status) ? f.status : [f.status]);
  return ALL_STATUSES.filter((s) => wanted.has(s));
}

/** Whether a filter selects by status at all. */
export const filtersStatus = (f: JobFilterInput) => f.unacknowledged === true || f.status !== undefined;

/** The filter's conditions other than status, as an AND-list for a WHERE clause over "Job". */
export function filterConditions(scope: Scope, f: JobFilterInput): Prisma.Sql {
  const parts = [Prisma.sql`"orgId" = ${scope.orgId}`];
  if (f.type) parts.push(Prisma.sql`"type" = ${f.type}`);
  if (f.createdFrom) parts.push(Prisma.sql`"createdAt" >= ${utc(f.createdFrom)}`);
  if (f.createdTo) parts.push(Prisma.sql`"createdAt" <= ${utc(f.createdTo)}`);
  if (f.q) parts.push(Prisma.sql`"searchVector" @@ ${textQuery(f.q)}`);
  if (f.unacknowledged) parts.push(Prisma.sql`"failureAcknowledgedAt" IS NULL`);
  if (f.tag) parts.push(Prisma.sql`"tags" @> ARRAY[${f.tag}]::text[]`);
  return Prisma.join(parts, " AND ");
}

/** `"status" = ANY(…)` for a set of statuses. */
export const statusIn = (statuses: readonly JobStatus[]) => Prisma.sql`"status" = ANY(${[...statuses]}::"JobStatus"[])`;
