import { AppError } from "@/server/errors";
import { scopedRoute } from "@/server/http/api-route";
import { listPlans } from "@/server/services/plans/plans";

/** GET /api/plans: every organization with a plan of its own (operators only). */
export const GET = scopedRoute(async ({ operator }) => {
  if (!operator) throw new AppError("FORBIDDEN", "only an operator can list the organizations' plans");
  return Response.json({ plans: await listPlans() });
});
