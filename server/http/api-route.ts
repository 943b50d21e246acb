import "server-only";
import { getIdentity } from "../auth";
import { AppError } from "../errors";
import { type Scope, scopeOf } from "../identity";

/** Every REST error is `{ error: { code, message, details? } }` with the status its code maps to. */
export function errorResponse(err: unknown): Response {
  if (err instanceof AppError) return Response.json(err.toJSON(), { status: err.httpStatus });
  console.error("unexpected error in an API route:", err);
  return Response.json({ error: { code: "INTERNAL", message: "internal error; the server log has the details" } }, { status: 500 });
}

/** The request body as JSON: an empty body is `{}`, anything unparsable is a 400 saying so. */
export async function readJsonBody(req: Request): Promise<unknown> {
  const text = await req.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AppError("BAD_REQUEST", `request body is not valid JSON: ${(err as Error).message}`, {
      details: [{ path: "body", message: "not valid JSON" }],
    });
  }
}

type RouteContext<P> = { params: Promise<P> };

/**
 * A REST handler in the caller's organization: 401 JSON when signed out, AppErrors mapped to their status, and
 * nothing unexpected escapes as an HTML error page.
 */
export function scopedRoute<P = Record<string, never>>(
  handler: (args: { req: Request; scope: Scope; params: P }) => Promise<Response>,
): (req: Request, ctx: RouteContext<P>) => Promise<Response> {
  return async (req, ctx) => {
    try {
      const scope = scopeOf(await getIdentity());
      return await handler({ req, scope, params: await ctx.params });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
