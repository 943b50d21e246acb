import { scopedRoute } from "@/server/http/api-route";
import { getJobStatus } from "@/server/services/jobs/get-job-status";

/** GET /api/jobs/:id/status: `{ jobId, status, stepsCompleted, durationMs }`. */
export const GET = scopedRoute<{ id: string }>(async ({ scope, params }) => Response.json(await getJobStatus(scope, params.id)));
