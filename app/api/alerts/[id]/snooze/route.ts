import { readJsonBody, scopedRoute } from "@/server/http/api-route";
import { snoozeAlertRule } from "@/server/services/alerts/alert-rules";

/** POST /api/alerts/:id/snooze `{minutes}` (null ends the snooze; admins). */
export const POST = scopedRoute<{ id: string }>(async ({ req, scope, params }) =>
  Response.json(await snoozeAlertRule(scope, { ...((await readJsonBody(req)) as object), id: params.id } as never)),
);
