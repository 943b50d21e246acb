import { scopedRoute } from "@/server/http/api-route";
import { alertHistory } from "@/server/services/alerts/alert-history";

/** GET /api/alerts/history?ruleId=&limit=&cursor=: firings and resolutions, newest first. */
export const GET = scopedRoute(async ({ req, scope, operator }) => {
  const q = new URL(req.url).searchParams;
  const limit = q.get("limit");
  return Response.json(
    await alertHistory(scope, operator, {
      ruleId: q.get("ruleId") ?? undefined,
      cursor: q.get("cursor") ?? undefined,
      limit: limit === null ? undefined : Number(limit),
    }),
    { headers: { "cache-control": "no-store" } },
  );
});
