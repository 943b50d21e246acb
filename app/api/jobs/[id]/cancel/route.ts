import { scopedRoute } from "@/server/http/api-route";
import { cancelJob } from "@/server/services/jobs/cancel-job";

/** POST /api/jobs/:id/cancel: cancels a queued, running or waiting job (409 when it already finished). */
export const POST = scopedRoute<{ id: string }>(async ({ scope, params }) => Response.json(await cancelJob(scope, params.id)));
