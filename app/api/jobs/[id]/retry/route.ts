import { scopedRoute } from "@/server/http/api-route";
import { retryJob } from "@/server/services/jobs/retry-job";

/** POST /api/jobs/:id/retry: a new attempt of a FAILED or CANCELLED job (409 otherwise). */
export const POST = scopedRoute<{ id: string }>(async ({ scope, params }) =>
  Response.json(await retryJob(scope, params.id), { status: 202 }),
);
