import { readJsonBody, scopedRoute } from "@/server/http/api-route";
import { deleteAlertRule, updateAlertRule } from "@/server/services/alerts/alert-rules";

/** PATCH /api/alerts/:id with the fields to change (admins). */
export const PATCH = scopedRoute<{ id: string }>(async ({ req, scope, params }) =>
  Response.json(await updateAlertRule(scope, { ...((await readJsonBody(req)) as object), id: params.id } as never)),
);

/** DELETE /api/alerts/:id (admins); its history stays. */
export const DELETE = scopedRoute<{ id: string }>(async ({ scope, params }) => Response.json(await deleteAlertRule(scope, params.id)));
