import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { EngineContext } from "../context.js";
import { BadRequestError, PayloadTooLargeError } from "../errors.js";
import { parseOtlpTraces } from "../protocol/otlp-json.js";
import { acceptedBearers } from "../protocol/signing.js";
import { insertSpans } from "../store/spans-sql.js";

const gunzipAsync = promisify(gunzip);

/** Inngest's consts.MaxUserlandTraceBodySize; the same cap applies to a gzipped body once inflated. */
export const MAX_TRACE_BODY_BYTES = 8 * 1024 * 1024;
/** Spans kept per run, so that one run's loop cannot fill the database or make its view megabytes long. */
export const MAX_SPANS_PER_RUN = 10_000;

export const TRACES_PATH = "/v1/traces/userland";

function refuse(reply: FastifyReply, status: number, error: string) {
  return reply.code(status).send({ error, status });
}

/**
 * What may reach the body at all, decided before it is read: the signing key when one is set (the SDK sends its hash;
 * with none the route is open, as on the Dev Server), an OTLP/HTTP JSON body, plain or gzipped.
 */
function gate(ctx: EngineContext) {
  const bearers = new Set(acceptedBearers(ctx.opts));
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (ctx.opts.signingKey && !bearers.has(String(req.headers.authorization ?? ""))) {
      return refuse(reply, 401, "unauthorized: traces need Authorization: Bearer <this engine's signing key> (the SDK sends it hashed)");
    }
    const type = String(req.headers["content-type"] ?? "").toLowerCase();
    if (type.includes("protobuf")) {
      return refuse(
        reply,
        415,
        "OTLP/HTTP protobuf is not accepted: send OTLP/HTTP JSON (Content-Type: application/json), as the Inngest SDK does",
      );
    }
    if (!type.includes("json")) return refuse(reply, 415, "traces must be OTLP/HTTP JSON (Content-Type: application/json)");
    const encoding = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
    if (encoding !== "identity" && encoding !== "gzip") {
      return refuse(reply, 415, `Content-Encoding ${encoding.slice(0, 40)} is not accepted: send the body plain or gzipped`);
    }
  };
}

/** The body as JSON, inflated first when gzipped (an inflated body over the cap is a 413, as a plain one is). */
async function readJson(req: FastifyRequest): Promise<unknown> {
  let body = req.body as Buffer | undefined;
  if (!body?.length) return {};
  if (String(req.headers["content-encoding"] ?? "").toLowerCase() === "gzip") {
    try {
      body = await gunzipAsync(body, { maxOutputLength: MAX_TRACE_BODY_BYTES });
    } catch (err) {
      if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
        throw new PayloadTooLargeError(`the inflated body is larger than ${MAX_TRACE_BODY_BYTES} bytes`);
      throw new BadRequestError("body: Content-Encoding says gzip, but it is not gzip data");
    }
  }
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new BadRequestError(`body is not JSON (${(err as Error).message.slice(0, 200)})`);
  }
}

/**
 * `POST /v1/traces/userland`: the spans the SDK's Extended Traces export (OTLP/HTTP JSON), kept with their runs for
 * `GET /v1/runs/:id` and the OTLP export. In a scope of its own: the body is read raw (a gzipped body, up to 8 MB),
 * not by the API's JSON parser. Every answer the SDK can get is final: spans the engine cannot keep are reported
 * in `partialSuccess.rejectedSpans`, never with a status its exporter retries (429, 502–504), because the SDK's own
 * answer to the engine waits for this one.
 */
export function userlandTraceRoutes(app: FastifyInstance, ctx: EngineContext): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: MAX_TRACE_BODY_BYTES }, (_req, body, done) => done(null, body));
    scope.addHook("onRequest", gate(ctx));
    scope.post(TRACES_PATH, async (req, reply) => {
      const { spans, rejected } = parseOtlpTraces(await readJson(req));
      const why: string[] = rejected ? ["spans without a run id (sdk.run.id) or ending before they start are not kept"] : [];
      let stored = 0;
      try {
        stored = await insertSpans(ctx.pool, ctx.s, spans, MAX_SPANS_PER_RUN);
        if (stored < spans.length) why.push(`spans of no known run, past a run's ${MAX_SPANS_PER_RUN} or sent before are not kept`);
      } catch (err) {
        ctx.log.warn({ err, spans: spans.length }, "userland spans could not be stored");
        why.push("the engine could not store them");
      }
      const rejectedSpans = rejected + spans.length - stored;
      return reply
        .code(200)
        .header("content-type", "application/json")
        .send({ partialSuccess: rejectedSpans ? { rejectedSpans, errorMessage: why.join("; ") } : {} });
    });
  });
}
