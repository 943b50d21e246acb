import { z } from "zod";
import { inngest } from "@/inngest/client";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { parseInput } from "../validate";
import { inngestApiGet, inngestTarget } from "./inngest-target";

/**
 * The console's view of Inngest itself: functions (with triggers, flow control and runs in flight), recent
 * events with the runs they started, sending an event, and pausing a function. These read the /v1 API the
 * embedded engine and the Dev Server serve; against Inngest Cloud the console points to its dashboard instead.
 */

async function v1<T>(path: string): Promise<T> {
  let res: Response;
  try {
    res = await inngestApiGet(path, 5_000);
  } catch (err) {
    throw new AppError("UNAVAILABLE", `Inngest at ${inngestTarget().url} did not answer: ${(err as Error).message}`);
  }
  if (!res.ok) throw new AppError("UNAVAILABLE", `Inngest answered ${res.status} for ${path}`);
  return ((await res.json()) as { data: T }).data;
}

export interface FunctionView {
  id: string;
  name: string;
  paused: boolean;
  triggers: Array<{ event?: string; cron?: string; expression?: string }>;
  retries: number;
  flow_control: Record<string, unknown>;
  in_flight: number;
  counts_24h: Record<string, number>;
}

export async function listFunctions(): Promise<FunctionView[]> {
  return v1<FunctionView[]>("/v1/functions");
}

/** Pausing stops new runs of a function for everyone, so only organization admins may do it. */
export async function setFunctionPaused(scope: Scope & { orgRole?: string | null }, id: string, paused: boolean): Promise<FunctionView> {
  if (scope.orgRole !== "org:admin") throw new AppError("FORBIDDEN", "only organization admins can pause or resume functions");
  if (!/^[\w.-]+$/.test(id)) throw new AppError("NOT_FOUND", `no function "${id}"`);
  const { url } = inngestTarget();
  const res = await fetch(`${url}/v1/functions/${id}/${paused ? "pause" : "resume"}`, {
    method: "POST",
    signal: AbortSignal.timeout(5_000),
  }).catch((err: Error) => {
    throw new AppError("UNAVAILABLE", `Inngest did not answer: ${err.message}`);
  });
  if (res.status === 404) throw new AppError("NOT_FOUND", `no function "${id}"`);
  if (!res.ok) throw new AppError("UNAVAILABLE", `Inngest answered ${res.status}; this Inngest may not support pausing from the API`);
  return ((await res.json()) as { data: FunctionView }).data;
}

export interface EventView {
  internal_id: string;
  id: string;
  name: string;
  data: Record<string, unknown>;
  received_at: string;
  runs: Array<{ run_id: string; function_id: string; status: string }>;
}

/** Recent events of the caller's organization (events carry `orgId`), with the runs each started. */
export async function listEvents(scope: Scope, limit = 50): Promise<EventView[]> {
  const all = await v1<EventView[]>("/v1/events?limit=500");
  return all.filter((e) => e.data?.orgId === scope.orgId).slice(0, Math.min(limit, 200));
}

export const sendEventInput = z.object({
  name: z
    .string()
    .min(1, "name is required")
    .max(200)
    .refine((n) => !n.startsWith("inngest/"), "names starting with inngest/ are reserved for Inngest"),
  data: z.record(z.string(), z.unknown()).default({}),
});

/** Sends an event as the organization (its `orgId` is added to the data so it shows in the org's event list). */
export async function sendEvent(scope: Scope, raw: z.input<typeof sendEventInput>): Promise<{ ids: string[] }> {
  const input = parseInput(sendEventInput, raw);
  try {
    const res = await inngest.send({ name: input.name, data: { ...input.data, orgId: scope.orgId, sentBy: scope.userId } });
    return { ids: res.ids };
  } catch (err) {
    throw new AppError("UNAVAILABLE", `Inngest did not take the event: ${(err as Error).message}`);
  }
}
