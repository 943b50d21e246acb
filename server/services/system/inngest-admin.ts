import { z } from "zod";
import { ACTIVE, APP_EVENT_NAMES, jobFunctionId } from "@/jobs";
import { db } from "../../db";
import { AppError } from "../../errors";
import { sendEvents } from "../../events/send-events";
import { requireRole, type Scope } from "../../identity";
import { auditedRemote } from "../audit/record-audit";
import { parseInput } from "../validate";
import { inngestApi, inngestTarget } from "./inngest-target";

/**
 * The console's view of Inngest itself: functions (with triggers, flow control and runs in flight), recent
 * events with the runs they started, sending an event, and pausing a function. These read the /v1 API the
 * embedded engine and the Dev Server serve; against Inngest Cloud the console points to its dashboard instead.
 */

/** A `/v1` read from Inngest; anything that goes wrong (no answer, a timeout mid-body, an error status) is a 503. */
export async function v1<T>(path: string): Promise<T> {
  try {
    const res = await inngestApi(path);
    if (!res.ok) {
      await res.body?.cancel();
      throw new AppError("UNAVAILABLE", `Inngest answered ${res.status} for ${path.split("?")[0]}`);
    }
    return ((await res.json()) as { data: T }).data;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("UNAVAILABLE", `Inngest at ${inngestTarget().url} did not answer in time: ${(err as Error).message}`);
  }
}

export interface FunctionView {
  id: string;
  name: string;
  paused: boolean;
  triggers: Array<{ event?: string; cron?: string; expression?: string }>;
  retries: number;
  flow_control: Record<string, unknown>;
  /** Operators: SDK requests in flight across the installation. Tenants: their own jobs of this function running now. */
  in_flight: number;
  /** Operators: every run of the last 24 h. Tenants: their own jobs of the last 24 h (system functions show none). */
  counts_24h: Record<string, number>;
}

export interface FunctionList {
  functions: FunctionView[];
  /** Whether the caller may pause and resume (an installation-wide operator action). */
  canPause: boolean;
  /** "installation" for operators, "organization" when the counts are the caller's own jobs. */
  countsScope: "installation" | "organization";
}

const RUN_STATUS: Record<string, string> = {
  QUEUED: "Queued",
  RUNNING: "Running",
  WAITING: "Running",
  COMPLETED: "Completed",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
};

/** The organization's own jobs per function over the last day, as the engine's run counts are shaped. */
async function organizationCounts(scope: Scope): Promise<Map<string, { counts: Record<string, number>; running: number }>> {
  const since = new Date(Date.now() - 86_400_000);
  const groups = await db().job.groupBy({
    by: ["type", "status"],
    where: { orgId: scope.orgId, OR: [{ createdAt: { gte: since } }, { status: { in: [...ACTIVE] } }] },
    _count: { _all: true },
  });
  const out = new Map<string, { counts: Record<string, number>; running: number }>();
  for (const g of groups) {
    const fnId = jobFunctionId(g.type);
    const entry = out.get(fnId) ?? { counts: {}, running: 0 };
    const label = RUN_STATUS[g.status] ?? g.status;
    entry.counts[label] = (entry.counts[label] ?? 0) + g._count._all;
    if (g.status === "RUNNING") entry.running += g._count._all;
    out.set(fnId, entry);
  }
  return out;
}

/**
 * Functions with their triggers and flow control. Figures across every organization are an operator's view; a
 * tenant sees the same functions with their own jobs' counts.
 */
export async function listFunctions(scope: Scope, operator: boolean): Promise<FunctionList> {
  const fns = await v1<FunctionView[]>("/v1/functions");
  if (operator) return { functions: fns, canPause: true, countsScope: "installation" };
  const mine = await organizationCounts(scope);
  return {
    functions: fns.map((f) => ({ ...f, in_flight: mine.get(f.id)?.running ?? 0, counts_24h: mine.get(f.id)?.counts ?? {} })),
    canPause: false,
    countsScope: "organization",
  };
}

/** Pausing stops new runs of a function for every organization, so it is an operator's action. */
export async function setFunctionPaused(scope: Scope, operator: boolean, id: string, paused: boolean): Promise<FunctionView> {
  if (!operator) {
    throw new AppError("FORBIDDEN", "only an operator can pause or resume functions: it stops them for every organization");
  }
  if (!/^[\w.-]+$/.test(id)) throw new AppError("NOT_FOUND", `no function "${id}"`);
  return auditedRemote(
    scope,
    async () => {
      const res = await inngestApi(`/v1/functions/${id}/${paused ? "pause" : "resume"}`, { method: "POST" }).catch((err: Error) => {
        throw new AppError("UNAVAILABLE", `Inngest did not answer: ${err.message}`);
      });
      if (res.status === 404) throw new AppError("NOT_FOUND", `no function "${id}"`);
      if (!res.ok) throw new AppError("UNAVAILABLE", `Inngest answered ${res.status}; this Inngest may not support pausing from the API`);
      const fn = ((await res.json()) as { data: FunctionView }).data;
      return { result: fn, audit: { action: paused ? "function.pause" : "function.resume", targetType: "function", targetId: id } };
    },
    { operator: true },
  );
}

/**
 * Names the app's own functions and trackers react to. An event with one of these names drives a job (starts,
 * cancels or decides it), so only the job service sends them, never a person through the console.
 */
export function isInternalEventName(name: string): boolean {
  return name.startsWith("inngest/") || name.startsWith("jobdeck/") || APP_EVENT_NAMES.has(name);
}

export const sendEventInput = z.object({
  name: z
    .string()
    .trim()
    .min(1, "name is required")
    .max(200)
    .refine((n) => !isInternalEventName(n), {
      message: "this name is reserved: the app's job events are sent by the job service (create, cancel or decide the job instead)",
    }),
  data: z.record(z.string(), z.unknown()).default({}),
});

/**
 * Sends an event as the organization. `orgId` and `sentBy` are set here, over anything the caller put in `data`, so an
 * event can only ever speak for the caller's own organization.
 */
export async function sendEvent(scope: Scope, raw: z.input<typeof sendEventInput>): Promise<{ ids: string[] }> {
  requireRole(scope, "member", "sending an event");
  const input = parseInput(sendEventInput, raw);
  return auditedRemote(scope, async () => {
    try {
      const res = await sendEvents({ name: input.name, data: { ...input.data, orgId: scope.orgId, sentBy: scope.userId } });
      return {
        result: { ids: res.ids },
        audit: { action: "event.send", targetType: "event", targetId: res.ids[0] ?? null, after: { name: input.name } },
      };
    } catch (err) {
      throw new AppError("UNAVAILABLE", `Inngest did not take the event: ${(err as Error).message}`);
    }
  });
}
