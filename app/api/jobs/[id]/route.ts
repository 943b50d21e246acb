import { scopedRoute } from "@/server/http/api-route";
import { getJob } from "@/server/services/jobs/get-job";

/** GET /api/jobs/:id: the job with its step executions. */
export const GET = scopedRoute<{ id: string }>(async ({ scope, params }) => Response.json(await getJob(scope, params.id)));
