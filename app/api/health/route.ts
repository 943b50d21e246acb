import { errorResponse } from "@/server/http/api-route";
import { getHealth } from "@/server/services/system/get-health";

export const dynamic = "force-dynamic";

/** GET /api/health: public liveness for load balancers and uptime checks; 503 when the database is down. */
export async function GET(): Promise<Response> {
  try {
    const health = await getHealth();
    return Response.json(health, { status: health.status === "down" ? 503 : 200, headers: { "cache-control": "no-store" } });
  } catch (err) {
    return errorResponse(err);
  }
}
