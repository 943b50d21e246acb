import { jsonIssue } from "@jobdeck/safe-json";
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { AppError, type FieldIssue, knownError } from "../errors";
import { type Identity, isOperator, type RequestMeta, type Scope, scopeOf } from "../identity";
import { log } from "../log";

/** What every procedure sees: the caller, already verified (or null when signed out). */
export interface Context {
  identity: Identity | null;
  /** Why no identity could be determined at all (auth misconfigured), reported by protected procedures. */
  authError?: AppError;
  /** The HTTP request's id, client address and user agent (absent for in-process callers). */
  request?: RequestMeta;
}

function detailsOf(cause: unknown): FieldIssue[] | undefined {
  if (cause instanceof AppError) return cause.details;
  if (cause instanceof ZodError) return cause.issues.map((i) => ({ path: i.path.map(String).join(".") || "input", message: i.message }));
  return undefined;
}

/** An error no service meant to raise (a bug, a driver failure): its text may hold SQL or data. */
const isUnexpected = (error: TRPCError) => error.code === "INTERNAL_SERVER_ERROR" && !(error.cause instanceof AppError);

/** The adapter's `onError`: every unexpected error is logged once, with the procedure it came from. */
export function logUnexpectedError({ error, path }: { error: TRPCError; path?: string }): void {
  if (isUnexpected(error)) log.error({ err: error.cause ?? error, path }, "unexpected error in a tRPC procedure");
}

const t = initTRPC.context<Context>().create({
  // Field-level reasons travel to clients in `data.details`, the same list the REST API returns. An unexpected
  // error reaches the client without its text (logUnexpectedError logged it).
  errorFormatter: ({ shape, error }) => {
    if (isUnexpected(error)) {
      const { stack: _stack, ...data } = shape.data;
      return { ...shape, message: "internal error; the server log has the details", data: { ...data, details: undefined } };
    }
    return { ...shape, data: { ...shape.data, details: detailsOf(error.cause) } };
  },
});

/**
 * Services throw AppError; turn it into the TRPCError with the mapped code (so callers see NOT_FOUND, not a 500),
 * and a database that is away into SERVICE_UNAVAILABLE (503, retry).
 */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  const known = result.ok ? undefined : knownError(result.error.cause);
  if (known) throw new TRPCError({ code: known.trpcCode, message: known.message, cause: known });
  return result;
});

/** Input PostgreSQL could not store (a NUL, half an emoji, absurd nesting) is a 400 naming it, for every procedure. */
const storableInput = t.middleware(async ({ getRawInput, next }) => {
  const issue = jsonIssue(await getRawInput(), "");
  if (issue) throw new TRPCError({ code: "BAD_REQUEST", message: `invalid input: ${issue.path || "input"}: ${issue.message}` });
  return next();
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(appErrors).use(storableInput);

/** Signed-in callers only; `ctx.scope` is the organization every query must stay in. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.authError) throw new TRPCError({ code: ctx.authError.trpcCode, message: ctx.authError.message, cause: ctx.authError });
  if (!ctx.identity) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  const scope: Scope = scopeOf(ctx.identity, ctx.request);
  return next({ ctx: { identity: ctx.identity, scope, operator: isOperator(ctx.identity) } });
});
