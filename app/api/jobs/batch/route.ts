import { readJsonBody, scopedRoute } from "@/server/http/api-route";
import { MAX_BATCH_BODY_BYTES } from "@/server/http/request-safety";
import { createJobs } from "@/server/services/jobs/create-jobs";

/**
 * POST /api/jobs/batch `{items: [{type, payload, priority?, idempotencyKey?}, …]}` (up to 1,000): all created, or
 * none (400 naming each bad item's field, 429 saying how many would fit). 202 when any job is new, 200 when every item
 * named an existing job; `items` gives each item's job id, in order.
 */
export const POST = scopedRoute(async ({ req, scope }) => {
  const body = await readJsonBody(req, MAX_BATCH_BODY_BYTES);
  const items = (body as { items?: unknown } | null)?.items;
  const result = await createJobs(scope, { items: Array.isArray(items) ? items : (items as never) }, "API");
  return Response.json(result, { status: result.created > 0 ? 202 : 200 });
});
