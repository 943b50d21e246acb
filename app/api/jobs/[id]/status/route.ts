import { jsonResponse, scopedRoute } from "@/server/http/api-route";
import { getJobStatus } from "@/server/services/jobs/get-job-status";

/** GET /api/jobs/:id/status: `{ jobId, status, stepsCompleted, durationMs }` (what scripts poll, so sent as it is). */
export const GET = scopedRoute<{ id: string }>(async ({ scope, params }) => jsonResponse(await getJobStatus(scope, params.id)));
