import { scopedRoute } from "@/server/http/api-route";
import { jobStats } from "@/server/services/jobs/job-stats";

/** GET /api/dashboard: the organization's job counts, `{ jobs: { failed, queued, …, unacknowledgedFailures }, byType }`. */
export const GET = scopedRoute(async ({ scope }) => Response.json(await jobStats(scope), { headers: { "cache-control": "no-store" } }));
