import { db } from "../../db";
import { log } from "../../log";
import { inngestApi } from "../system/inngest-target";

/**
 * The plans' weights handed to the embedded engine's fair scheduler (PUT /v1/tenants/weights: an engine extension).
 * The database stays the truth: a push that fails (the engine restarting) is made good by the next full sync, and an
 * Inngest without the endpoint (404: the Dev Server, Cloud) has no fair scheduling to tell.
 */
async function put(body: { weights: Record<string, number>; replace?: boolean }): Promise<"sent" | "unsupported" | "failed"> {
  try {
    const res = await inngestApi("/v1/tenants/weights", { method: "PUT", body, timeoutMs: 3_000 });
    await res.body?.cancel();
    if (res.status === 404) return "unsupported";
    if (!res.ok) throw new Error(`answered ${res.status}`);
    return "sent";
  } catch (err) {
    log.warn({ err: (err as Error).message }, "could not hand the plans' weights to the engine; the next sync will");
    return "failed";
  }
}

/** One organization's weight, right after its plan changed. */
export function pushWeight(orgId: string, weight: number): Promise<"sent" | "unsupported" | "failed"> {
  return put({ weights: { [orgId]: weight } });
}

/** Every plan's weight, replacing what the engine has (at start and on the maintenance cron). */
export async function syncWeights(): Promise<"sent" | "unsupported" | "failed"> {
  const plans = await db().orgPlan.findMany({ where: { weight: { not: 1 } }, select: { orgId: true, weight: true } });
  return put({ weights: Object.fromEntries(plans.map((p) => [p.orgId, p.weight])), replace: true });
}
