import { jsonProblem } from "@jobdeck/safe-json";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { z } from "zod";
import type { EngineContext } from "../context.js";
import { BadRequestError, EngineError } from "../errors.js";
import { MAX_TS, validateEvents } from "../events/validate.js";
import type { Op } from "../protocol/response.js";
import { acceptedBearers } from "../protocol/signing.js";
import type { Apps } from "../sync/apps.js";
import { accessGuard } from "./access.js";
import { type CancellationsApi, createCancellationSchema } from "./cancellations-api.js";
import type { DevApi } from "./dev-api.js";
import { firstIssue } from "./envelope.js";
import { eventIntakeRoutes } from "./event-intake.js";
import type { EventsApi } from "./events-api.js";
import type { FunctionsApi } from "./functions-api.js";
import type { MetadataApi } from "./metadata-api.js";
import { metricsRoutes } from "./metrics-api.js";
import { answerRoot } from "./root-page.js";
import { parseStatuses, type RunFilter } from "./run-filter.js";
import type { RunsApi } from "./runs-api.js";
import type { SignalsApi } from "./signals-api.js";
import { tenantRoutes } from "./tenants-api.js";
import { TRACES_PATH, userlandTraceRoutes } from "./traces-api.js";

/** What the HTTP surface serves. */
export interface EngineApi {
  ctx: EngineContext;
  apps: Apps;
  runs: RunsApi;
  functions: FunctionsApi;
  events: EventsApi;
  cancellations: CancellationsApi;
  signals: SignalsApi;
  metadata: MetadataApi;
  dev: DevApi;
  health(): Promise<Record<string, unknown>>;
  checkpoint(runId: string, qiId: string, ops: Op[]): Promise<boolean>;
}

const runFilterSchema = z
  .object({
    function_id: z.string().min(1).optional(),
    /** Functions whose runs are left out, comma-separated (a console hides its system functions' runs). */
    exclude_function_id: z.string().max(4000, "exclude_function_id: at most 4000 characters").optional(),
    status: z.string().optional(),
    from: z.string().optional(),
    to: z.string().optional(),
    cursor: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    ids: z.array(z.string()).max(10_000).optional(),
    q: z.string().max(200, "q: at most 200 characters").optional(),
    event_data: z.string().max(2000, "event_data: at most 2000 characters").optional(),
    tenant: z.string().min(1).max(200, "tenant: at most 200 characters").optional(),
  })
  .strict();

/** `event_data` is a JSON object a run's triggering event's data must contain (`{"orgId":"acme"}`). */
function eventData(v: string | undefined): Record<string, unknown> | undefined {
  if (v === undefined || v === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw new BadRequestError(`event_data: not JSON (give an object such as {"orgId":"acme"})`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new BadRequestError("event_data: must be a JSON object");
  // What jsonb cannot hold (a NUL, half an emoji) is refused here, not by the database.
  const problem = jsonProblem(parsed, "event_data");
  if (problem) throw new BadRequestError(problem);
  return parsed as Record<string, unknown>;
}

const checkpointSchema = z.object({ qi_id: z.string().min(1), steps: z.array(z.looseObject({ id: z.string(), op: z.string() })) });

function time(field: string, v: string | undefined): number | undefined {
  if (v === undefined || v === "") return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(n)) throw new BadRequestError(`${field}: "${v}" is not a date (ISO 8601 or epoch milliseconds)`);
  if (n < 0 || n > MAX_TS) throw new BadRequestError(`${field}: "${v}" is outside the years 1970 to 9999`);
  return n;
}

function toFilter(raw: unknown): RunFilter {
  const parsed = runFilterSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new BadRequestError(firstIssue(parsed.error, "query"));
  const q = parsed.data;
  return {
    functionSlug: q.function_id,
    excludeFunctionSlugs: q.exclude_function_id
      ?.split(",")
      .map((x) => x.trim())
      .filter(Boolean),
    statuses: parseStatuses(q.status),
    from: time("from", q.from),
    to: time("to", q.to),
    cursor: q.cursor,
    limit: q.limit,
    ids: q.ids,
    text: q.q?.trim() || undefined,
    eventData: eventData(q.event_data),
    tenant: q.tenant,
  };
}

function fail(reply: FastifyReply, status: number, message: string) {
  return reply.code(status).send({ error: message, status });
}

/** The engine's HTTP surface: Inngest's event and register endpoints, /health, and the /v1 management API. */
export function buildHttp(api: EngineApi): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: api.ctx.opts.maxBodyBytes, forceCloseConnections: true });
  guardRequests(app, api.ctx);
  inngestRoutes(app, api);
  functionRoutes(app, api);
  runRoutes(app, api);
  eventRoutes(app, api);
  appRoutes(app, api);
  tenantRoutes(app, api.ctx);
  metricsRoutes(app, api.ctx);
  userlandTraceRoutes(app, api.ctx);
  return app;
}

/** Who may call, what bodies are accepted, and how every error becomes a status. */
function guardRequests(app: FastifyInstance, ctx: EngineContext): void {
  // EngineErrors carry their status; Fastify's own client errors keep theirs (malformed JSON 400, body too large
  // 413, unsupported media type 415). Anything else is a bug: 500, logged.
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof EngineError) return fail(reply, err.status, err.message);
    const e = err as Error & { statusCode?: number; code?: string };
    if (e.code?.startsWith("FST_") && e.statusCode && e.statusCode < 500) return fail(reply, e.statusCode, e.message);
    ctx.log.error({ err }, "unhandled error in the engine API");
    return fail(reply, 500, "internal engine error");
  });
  app.setNotFoundHandler((req, reply) => fail(reply, 404, `no route ${req.method} ${req.url.split("?")[0]}`));

  // The management API takes JSON only (a text/plain or form body is a 415): nothing there needs more, and a page
  // could send those without a preflight. Browsers themselves are refused by the access guard, a page's non-JSON
  // body with a 403 saying so. The event API reads any body as JSON, as Inngest does (event-intake.ts).
  app.removeContentTypeParser("text/plain");
  app.addHook("onRequest", accessGuard(ctx.opts));
  // A NUL or broken Unicode in a path or query value is no id, name or date anything can match: 400, not a
  // database error.
  // Bodies of management calls and syncs too; events say it in their own terms (validateEvents), a step's output
  // in a checkpoint is stored exactly (what jsonb cannot hold is escaped: store/stored-types.ts), and a span's
  // attributes are bounded and stored exactly by their own route (api/traces-api.ts), whose body is raw bytes here.
  app.addHook("preValidation", async (req, reply) => {
    const path = req.url.split("?")[0] ?? "";
    const ownBody = path.startsWith("/v1/checkpoint/") || path === "/v1/events" || path === TRACES_PATH;
    const checksBody = (path.startsWith("/v1/") && !ownBody) || path === "/fn/register";
    const problem =
      jsonProblem(req.params, "path") ?? jsonProblem(req.query, "query") ?? (checksBody ? jsonProblem(req.body, "body") : undefined);
    if (problem) return fail(reply, 400, problem);
  });
}

/** What an Inngest SDK calls: health, events, checkpoints and sync. */
function inngestRoutes(app: FastifyInstance, api: EngineApi): void {
  const { ctx, apps } = api;
  app.get("/health", async (_req, reply) => {
    const h = await api.health();
    return reply.code(h.status === "ok" ? 200 : 503).send(h);
  });
  app.delete("/v1/metrics/latency", async () => {
    ctx.stats.latency.start.reset();
    ctx.stats.latency.transition.reset();
    return { data: { reset: true } };
  });
  app.get("/", answerRoot(ctx.opts.consoleUrl));

  // ---- Inngest event API (any content type read as JSON, in a scope of its own)
  eventIntakeRoutes(app, ctx, api.events);

  // ---- The Dev Server's own endpoints
  app.get("/dev", async () => api.dev.info());
  app.post<{ Params: { slug: string } }>("/invoke/:slug", async (req) => {
    const seed = req.headers["x-inngest-event-id-seed"];
    return api.dev.invoke(req.params.slug, req.body, typeof seed === "string" ? seed : undefined);
  });

  // ---- Inngest v4 async checkpointing: steps run inside one request are recorded as they finish.
  app.post<{ Params: { runId: string } }>("/v1/checkpoint/:runId/async", async (req, reply) => {
    if (ctx.opts.signingKey && !acceptedBearers(ctx.opts, true).includes(String(req.headers.authorization ?? ""))) {
      return fail(reply, 401, "unauthorized: checkpoint without this engine's signing key");
    }
    const b = checkpointSchema.safeParse(req.body);
    if (!b.success) throw new BadRequestError(`invalid checkpoint: ${firstIssue(b.error)}`);
    const ok = await api.checkpoint(req.params.runId, b.data.qi_id, b.data.steps as Op[]);
    if (!ok) return fail(reply, 409, "stale dispatch: this request is no longer the run's current one");
    return reply.code(200).send({});
  });

  // ---- Inngest sync API
  app.post("/fn/register", async (req, reply) => {
    const res = await apps.register(req.body, req.headers);
    return reply.code(200).send(res);
  });
}

function functionRoutes(app: FastifyInstance, api: EngineApi): void {
  app.get("/v1/functions", async () => api.functions.list());
  app.get<{ Params: { id: string } }>("/v1/functions/:id", async (req) => api.functions.get(req.params.id));
  app.post<{ Params: { id: string } }>("/v1/functions/:id/pause", async (req) => ({
    data: await api.functions.setPaused(req.params.id, true),
  }));
  app.post<{ Params: { id: string } }>("/v1/functions/:id/resume", async (req) => ({
    data: await api.functions.setPaused(req.params.id, false),
  }));
}

function runRoutes(app: FastifyInstance, api: EngineApi): void {
  app.get("/v1/runs", async (req) => api.runs.list(toFilter(req.query)));
  app.get<{ Params: { id: string } }>("/v1/runs/:id", async (req) => api.runs.get(req.params.id));
  app.get<{ Params: { id: string } }>("/v1/runs/:id/jobs", async (req) => api.runs.jobs(req.params.id));
  // Inngest answers a metadata write with 200 and no body.
  app.post<{ Params: { id: string } }>("/v1/runs/:id/metadata", async (req, reply) => {
    await api.metadata.add(req.params.id, req.body);
    return reply.code(200).send();
  });
  app.post<{ Params: { id: string } }>("/v1/runs/:id/cancel", async (req) => ({ data: await api.runs.cancel(req.params.id) }));
  app.delete<{ Params: { id: string } }>("/v1/runs/:id", async (req) => ({ data: await api.runs.cancel(req.params.id) }));
  app.post<{ Params: { id: string } }>("/v1/runs/:id/replay", async (req) => {
    const b = z
      .object({ from_step: z.string().min(1).max(512).optional(), once: z.boolean().optional() })
      .strict()
      .safeParse(req.body ?? {});
    if (!b.success) throw new BadRequestError(firstIssue(b.error));
    return { data: await api.runs.replay(req.params.id, { fromStep: b.data.from_step, once: b.data.once }) };
  });
  app.post("/v1/runs/cancel", async (req) => {
    const f = toFilter(req.body);
    if (!f.functionSlug && !f.ids?.length)
      throw new BadRequestError("function_id or ids: bulk cancel needs a function or a list of run ids");
    return { data: await api.runs.cancelMany(f) };
  });
  app.post("/v1/runs/replay", async (req) => {
    const f = toFilter(req.body);
    if (!f.functionSlug && !f.ids?.length)
      throw new BadRequestError("function_id or ids: bulk replay needs a function or a list of run ids");
    return { data: await api.runs.replayMany(f) };
  });
  // Inngest REST compatible bulk cancellations.
  app.post("/v1/cancellations", async (req) => {
    const b = createCancellationSchema.safeParse(req.body ?? {});
    if (!b.success) throw new BadRequestError(firstIssue(b.error));
    return api.cancellations.create({
      ...b.data,
      startedAfter: time("started_after", b.data.started_after ?? undefined),
      startedBefore: time("started_before", b.data.started_before),
    });
  });
  app.get("/v1/cancellations", async () => api.cancellations.list());
  app.delete<{ Params: { id: string } }>("/v1/cancellations/:id", async (req) => api.cancellations.remove(req.params.id));
}

function eventRoutes(app: FastifyInstance, api: EngineApi): void {
  app.get<{
    Querystring: {
      name?: string;
      cursor?: string;
      limit?: string;
      received_after?: string;
      received_before?: string;
      tenant?: string;
      summary?: string;
    };
  }>("/v1/events", async (req) => {
    const limit = req.query.limit === undefined ? undefined : Number(req.query.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 500))
      throw new BadRequestError("limit: must be an integer from 1 to 500");
    // As Inngest's GET /v1/events (pkg/api/apiv1/events.go): both bounds inclusive, on the time the event was received.
    const receivedAfter = time("received_after", req.query.received_after);
    const receivedBefore = time("received_before", req.query.received_before);
    // Engine extensions: one tenant's events only (its index range), and a summary without each event's data.
    const tenant = req.query.tenant === undefined || req.query.tenant === "" ? undefined : req.query.tenant;
    const summary = req.query.summary === "true" || req.query.summary === "1";
    return api.events.list({ name: req.query.name, cursor: req.query.cursor, limit, receivedAfter, receivedBefore, tenant, summary });
  });
  app.get<{ Params: { id: string } }>("/v1/events/:id", async (req) => api.events.get(req.params.id));
  app.get<{ Params: { id: string } }>("/v1/events/:id/runs", async (req) => api.events.runs(req.params.id));
  app.post("/v1/events", async (req) => {
    const events = validateEvents(req.body, { internal: false, maxEventBytes: api.ctx.opts.maxEventBytes });
    return { data: { ids: await api.events.send(events) } };
  });
  app.post("/v1/signals", async (req) => api.signals.send(req.body));
}

function appRoutes(app: FastifyInstance, api: EngineApi): void {
  const { apps } = api;
  app.get("/v1/apps", async () => api.functions.apps());
  app.post("/v1/apps", async (req) => {
    const b = z.object({ url: z.string().url() }).safeParse(req.body);
    if (!b.success) throw new BadRequestError("url: a serve endpoint URL such as http://localhost:3000/api/inngest is required");
    apps.addUrl(b.data.url);
    return { data: await apps.syncUrl(b.data.url) };
  });
  app.get<{ Params: { app: string } }>("/v1/apps/:app/functions", async (req) => api.functions.appFunctions(req.params.app));
  app.post("/v1/apps/sync", async () => ({ data: await apps.syncAll() }));
  app.delete<{ Params: { id: string } }>("/v1/apps/:id", async (req) => {
    if (!(await apps.removeApp(req.params.id))) throw new EngineError(404, `app ${req.params.id} not found`);
    return { data: { id: req.params.id, removed: true } };
  });
}
