import { errorResponse } from "@/server/http/api-route";
import { checkMetricsToken, METRICS_CONTENT_TYPE, renderMetrics } from "@/server/services/metrics/app-metrics";

export const dynamic = "force-dynamic";

/** GET /api/metrics: Prometheus text for a scraper holding METRICS_TOKEN (server/services/metrics/). */
export async function GET(req: Request): Promise<Response> {
  try {
    checkMetricsToken(req.headers.get("authorization"));
    return new Response(await renderMetrics(), { headers: { "content-type": METRICS_CONTENT_TYPE, "cache-control": "no-store" } });
  } catch (err) {
    return errorResponse(err);
  }
}
