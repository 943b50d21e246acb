import { readJsonBody, scopedRoute } from "@/server/http/api-route";
import { createAlertRule, listAlertRules } from "@/server/services/alerts/alert-rules";

/** GET /api/alerts: the organization's alert rules. */
export const GET = scopedRoute(async ({ scope }) =>
  Response.json(await listAlertRules(scope), { headers: { "cache-control": "no-store" } }),
);

/** POST /api/alerts `{name, kind, jobType?, threshold, windowMinutes?, channel, target, enabled?}` (admins): 201 with the rule. */
export const POST = scopedRoute(async ({ req, scope }) =>
  Response.json(await createAlertRule(scope, (await readJsonBody(req)) as never), { status: 201 }),
);
