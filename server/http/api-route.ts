import "server-only";
import { jsonIssue } from "@jobdeck/safe-json";
import { getIdentity } from "../auth";
import { AppError, knownError, RETRY_AFTER_SECONDS, validationError } from "../errors";
import { isOperator, type Scope, scopeOf } from "../identity";
import { log } from "../log";
import { readBoundedText } from "./bounded-body";
import { requestMetaFrom } from "./request-meta";
import { isJsonType } from "./request-safety";

/** Under this many bytes gzip costs more than it saves (the `compression` middleware's own threshold). */
const COMPRESS_FROM_BYTES = 1024;

/**
 * A JSON answer, sent as it is when it is small. Next.js gzips every route handler's response whatever its size
 * (it streams the body, so its `compression` middleware never sees a length under its 1 KB threshold): a 150-byte
 * create answer came out bigger, and gzip was 4% of Next.js's CPU in `npm run bench:stack`. `no-transform` is the
 * one signal that middleware honours (and tells proxies the same); a larger answer is left to be compressed.
 */
export function jsonResponse(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  const text = JSON.stringify(body);
  const small = Buffer.byteLength(text) < COMPRESS_FROM_BYTES;
  return new Response(text, {
    status: init.status ?? 200,
    headers: { ...init.headers, "content-type": "application/json", ...(small ? { "cache-control": "no-store, no-transform" } : {}) },
  });
}

/**
 * Every REST error is `{ error: { code, message, details? } }` with the status its code maps to; a 503 says when to
 * retry. Unexpected errors are logged and answered without their text.
 */
export function errorResponse(err: unknown): Response {
  const known = knownError(err);
  if (known) {
    // Both mean "try again later": the database away, or the organization at its pending-job limit.
    const headers =
      known.code === "UNAVAILABLE" || known.code === "TOO_MANY_REQUESTS" ? { "retry-after": String(RETRY_AFTER_SECONDS) } : undefined;
    return jsonResponse(known.toJSON(), { status: known.httpStatus, headers });
  }
  log.error({ err }, "unexpected error in an API route");
  return jsonResponse({ error: { code: "INTERNAL", message: "internal error; the server log has the details" } }, { status: 500 });
}

/** The request body as JSON: an empty body is `{}`, a non-JSON content type a 415, anything unparsable a 400. */
export async function readJsonBody(req: Request, maxBytes?: number): Promise<unknown> {
  const type = req.headers.get("content-type");
  const text = await readBoundedText(req, maxBytes);
  if (!text.trim()) return {};
  if (!type || !isJsonType(type)) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", `request bodies must be JSON (content-type: application/json), not ${type ?? "untyped"}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new AppError("BAD_REQUEST", `request body is not valid JSON: ${(err as Error).message}`, {
      details: [{ path: "body", message: "not valid JSON" }],
    });
  }
  const issue = jsonIssue(body, "");
  if (issue) throw validationError([{ path: issue.path ? issue.path.split(".") : [], message: issue.message }], "body");
  return body;
}

type RouteContext<P> = { params: Promise<P> };

/**
 * A REST handler in the caller's organization: 401 JSON when signed out, AppErrors mapped to their status, and
 * nothing unexpected escapes as an HTML error page.
 */
export function scopedRoute<P = Record<string, never>>(
  handler: (args: { req: Request; scope: Scope; operator: boolean; params: P }) => Promise<Response>,
): (req: Request, ctx: RouteContext<P>) => Promise<Response> {
  return async (req, ctx) => {
    try {
      const identity = await getIdentity();
      const scope = scopeOf(identity, requestMetaFrom(req.headers, "rest"));
      return await handler({ req, scope, operator: isOperator(identity), params: await ctx.params });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
