import { getIdentity } from "@/server/auth";
import { errorResponse } from "@/server/http/api-route";
import { type Identity, isOperator, scopeOf } from "@/server/identity";
import { healthFor } from "@/server/services/system/get-health";

export const dynamic = "force-dynamic";

/** The caller, if any: health answers everyone, so a missing or unusable session just means "the public". */
async function viewer(): Promise<Identity | null> {
  try {
    return await getIdentity();
  } catch {
    return null;
  }
}

/**
 * GET /api/health: liveness for load balancers and uptime checks (503 when the database is down). Operators get
 * the installation's details, a signed-in member their own organization's counts, the public liveness only.
 */
export async function GET(): Promise<Response> {
  try {
    const identity = await viewer();
    const health = await healthFor({ operator: isOperator(identity), scope: identity ? scopeOf(identity) : null });
    return Response.json(health, { status: health.status === "down" ? 503 : 200, headers: { "cache-control": "no-store" } });
  } catch (err) {
    return errorResponse(err);
  }
}
