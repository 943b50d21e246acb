import { readJsonBody, scopedRoute } from "@/server/http/api-route";
import { type DecisionInput, decideApproval } from "@/server/services/jobs/decide-approval";

/** POST /api/jobs/:id/decision `{decision: "approve"|"reject", comment?}` for a waiting approval-workflow job. */
export const POST = scopedRoute<{ id: string }>(async ({ req, scope, params }) =>
  Response.json(await decideApproval(scope, params.id, (await readJsonBody(req)) as DecisionInput), { status: 202 }),
);
