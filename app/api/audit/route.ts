import { scopedRoute } from "@/server/http/api-route";
import { listAudit } from "@/server/services/audit/list-audit";

/**
 * GET /api/audit?action=&actor=&target=&organization=&from=&to=&limit=&cursor=: the audit trail newest first,
 * `{items, cursor}`; an organization's own entries, an operator's choice of organization or all of them.
 */
export const GET = scopedRoute(async ({ req, scope, operator }) => {
  const q = new URL(req.url).searchParams;
  const text = (k: string) => q.get(k) ?? undefined;
  const limit = q.get("limit");
  const items = await listAudit(scope, operator, {
    action: text("action"),
    actor: text("actor"),
    target: text("target"),
    organization: text("organization"),
    from: text("from") as never,
    to: text("to") as never,
    cursor: text("cursor"),
    limit: limit === null ? undefined : Number(limit),
  });
  return Response.json(items, { headers: { "cache-control": "no-store" } });
});
