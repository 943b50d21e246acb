import { readJsonBody, scopedRoute } from "@/server/http/api-route";
import { creditBalance, grantCredits } from "@/server/services/credits/credits";

/** GET /api/credits: the caller's credit balance. */
export const GET = scopedRoute(async ({ scope }) =>
  Response.json({ userId: scope.userId, balance: await creditBalance(scope.orgId, scope.userId) }),
);

/** POST /api/credits `{amount, userId?, orgId?}`: an operator adds credits to a user's account (403 for anyone else). */
export const POST = scopedRoute(async ({ req, scope, operator }) =>
  Response.json(await grantCredits(scope, operator, (await readJsonBody(req)) as { amount: number; userId?: string; orgId?: string })),
);
