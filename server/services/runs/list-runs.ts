import { z } from "zod";
import { ALL_JOB_FUNCTION_IDS } from "@/jobs";
import { db } from "../../db";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { v1 } from "../system/inngest-admin";
import { parseInput } from "../validate";
import { type RunSummary, runsApi } from "./engine-runs";

export const RUN_STATUSES = ["queued", "running", "completed", "failed", "cancelled"] as const;

const when = z.coerce.date().min(new Date(0), "must be a date from 1970 on").max(new Date("9999-12-31T23:59:59Z"), "must be before 10000");

export const listRunsInput = z.object({
  functionId: z
    .string()
    .trim()
    .max(200)
    .regex(/^[\w.-]*$/, "functionId: letters, digits, '.', '_' or '-'")
    .optional(),
  status: z.array(z.enum(RUN_STATUSES)).max(5).optional(),
  from: when.optional(),
  to: when.optional(),
  q: z.string().trim().max(200, "q: at most 200 characters").optional(),
  cursor: z
    .string()
    .regex(/^[0-9A-Z]{26}$/, "cursor: not a cursor this list returned")
    .optional(),
  limit: z.number().int().min(1).max(200).default(50),
  /** Include the runs of system functions (crons, failure trackers): hidden by default so job runs stay on page 1. */
  includeSystem: z.boolean().default(false),
});
export type ListRunsInput = z.input<typeof listRunsInput>;

export interface RunRow extends RunSummary {
  /** The job this run works for, when it has one. */
  job_id: string | null;
}

/** The query string of `/v1/runs` for a filter; an organization's runs are the ones its events started. */
export function runsQuery(
  scope: Scope,
  operator: boolean,
  f: z.output<typeof listRunsInput>,
  systemFunctions: readonly string[] = [],
): URLSearchParams {
  const p = new URLSearchParams();
  if (f.functionId) p.set("function_id", f.functionId);
  // A function picked by name is shown whatever it is; otherwise the system functions' runs unless asked for.
  else if (!f.includeSystem && systemFunctions.length) p.set("exclude_function_id", systemFunctions.join(","));
  if (f.status?.length) p.set("status", f.status.join(","));
  if (f.from) p.set("from", f.from.toISOString());
  if (f.to) p.set("to", f.to.toISOString());
  if (f.q) p.set("q", f.q);
  if (f.cursor) p.set("cursor", f.cursor);
  if (!operator) p.set("event_data", JSON.stringify({ orgId: scope.orgId }));
  p.set("limit", String(f.limit));
  return p;
}

/** How long the list of system functions is reused (it changes when an app syncs, not between pages). */
const SYSTEM_TTL_MS = 30_000;
let systemCache: { at: number; ids: string[] } | null = null;

/**
 * The functions no job stands behind (schedules, failure and cancellation trackers, alert evaluation): every
 * function Inngest lists but the job types' own and their failure handlers. None when Inngest cannot list them.
 */
export async function systemFunctionIds(now = Date.now()): Promise<string[]> {
  if (systemCache && now - systemCache.at < SYSTEM_TTL_MS) return systemCache.ids;
  const jobs = new Set(ALL_JOB_FUNCTION_IDS.flatMap((id) => [id, `${id}-failure`]));
  const fns = await v1<Array<{ id: string }>>("/v1/functions").catch(() => null);
  const ids = (fns ?? []).map((f) => f.id).filter((id) => !jobs.has(id));
  if (fns) systemCache = { at: now, ids };
  return ids;
}

/**
 * Every run of every function, newest first, from Inngest's `/v1/runs` (the embedded engine's list; the text and
 * organization filters are its own). An organization sees the runs its events started; an operator every run.
 */
export async function listRuns(scope: Scope, operator: boolean, raw: ListRunsInput): Promise<{ runs: RunRow[]; cursor: string | null }> {
  const f = parseInput(listRunsInput, raw);
  const system = f.includeSystem || f.functionId ? [] : await systemFunctionIds();
  const body = await runsApi<{ data: RunSummary[]; cursor?: string | null }>(`/v1/runs?${runsQuery(scope, operator, f, system)}`).catch(
    (err: unknown) => {
      // Inngest's own REST API has runs by event and by id, but no list of every run (the embedded engine's).
      if (err instanceof AppError && err.code === "NOT_FOUND")
        throw new AppError(
          "UNAVAILABLE",
          "this Inngest's API does not list runs: open a run from its job or its event, or look in the Inngest dashboard",
        );
      throw err;
    },
  );
  // The list carries no event data, so the link comes from the app's Job rows (each names its current run); the
  // run page links any run of a job from its event.
  const ids = body.data.map((r) => r.run_id);
  const jobs = ids.length
    ? await db().job.findMany({
        where: { runId: { in: ids }, ...(operator ? {} : { orgId: scope.orgId }) },
        select: { id: true, runId: true },
      })
    : [];
  const jobByRun = new Map(jobs.map((j) => [j.runId, j.id]));
  return { runs: body.data.map((r) => ({ ...r, job_id: jobByRun.get(r.run_id) ?? null })), cursor: body.cursor ?? null };
}
