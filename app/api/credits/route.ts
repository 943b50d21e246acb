import { readJsonBody, scopedRoute } from "@/server/http/api-route";
import { creditBalance, grantCredits } from "@/server/services/credits/credits";

/** GET /api/credits: the caller's credit balance. */
export const GET = scopedRoute(async ({ scope }) =>
  Response.json({ userId: scope.userId, balance: await creditBalance(scope.orgId, scope.userId) }),
);

/** POST /api/credits `{amount, userId?}`: adds credits to a user of the organization. */
export const POST = scopedRoute(async ({ req, scope }) =>
  Response.json(await grantCredits(scope, (await readJsonBody(req)) as { amount: number; userId?: string })),
);
