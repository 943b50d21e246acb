import { AppError } from "@/server/errors";
import { readJsonBody, scopedRoute } from "@/server/http/api-route";
import { getPlan, setPlan } from "@/server/services/plans/plans";

/** GET /api/plans/:orgId: an organization's plan (its own members, or an operator). */
export const GET = scopedRoute<{ orgId: string }>(async ({ scope, operator, params }) => {
  if (!operator && params.orgId !== scope.orgId) throw new AppError("NOT_FOUND", `no plan of "${params.orgId}" you can see`);
  return Response.json(await getPlan(params.orgId));
});

/** PUT /api/plans/:orgId `{maxPendingJobs?: n | null, weight?: n}`: sets the plan (operators only); null = the default. */
export const PUT = scopedRoute<{ orgId: string }>(async ({ req, scope, operator, params }) => {
  if (!operator) throw new AppError("FORBIDDEN", "only an operator can set a plan: plans are set for the installation, not by a tenant");
  const body = (await readJsonBody(req)) as Record<string, unknown>;
  return Response.json(await setPlan(scope, { ...body, orgId: params.orgId } as never));
});
