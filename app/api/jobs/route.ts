import type { CreateJobInput } from "@/jobs";
import { jsonResponse, readJsonBody, scopedRoute } from "@/server/http/api-route";
import { createJob } from "@/server/services/jobs/create-job";
import type { ListJobsInput } from "@/server/services/jobs/inputs";
import { listJobs } from "@/server/services/jobs/list-jobs";

/** POST /api/jobs: 202 for a new job, 200 with the existing one when the idempotency key was seen before. */
export const POST = scopedRoute(async ({ req, scope }) => {
  const body = (await readJsonBody(req)) as CreateJobInput;
  const idempotencyKey = req.headers.get("idempotency-key") ?? undefined;
  const input = idempotencyKey && body && typeof body === "object" && !body.idempotencyKey ? { ...body, idempotencyKey } : body;
  const { job, created } = await createJob(scope, input, "API");
  return jsonResponse(
    { id: job.id, type: job.type, status: job.status, createdAt: job.createdAt, created },
    { status: created ? 202 : 200, headers: { location: `/api/jobs/${job.id}` } },
  );
});

/** GET /api/jobs?status=&type=&tag=&q=&createdFrom=&createdTo=&limit=&cursor= (status may repeat or be comma-separated). */
export const GET = scopedRoute(async ({ req, scope }) => {
  const params = new URL(req.url).searchParams;
  const statuses = params
    .getAll("status")
    .flatMap((s) => s.split(","))
    .filter(Boolean);
  const input: Record<string, unknown> = {};
  for (const key of ["type", "tag", "q", "createdFrom", "createdTo", "limit", "cursor"]) {
    const v = params.get(key);
    if (v !== null && v !== "") input[key] = v;
  }
  if (statuses.length) input.status = statuses.map((s) => s.toUpperCase());
  if (params.get("unacknowledged") === "true") input.unacknowledged = true;
  return Response.json(await listJobs(scope, input as ListJobsInput));
});
