import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { AppError, type FieldIssue } from "../errors";
import { type Identity, isOperator, type Scope, scopeOf } from "../identity";

/** What every procedure sees: the caller, already verified (or null when signed out). */
export interface Context {
  identity: Identity | null;
  /** Why no identity could be determined at all (auth misconfigured), reported by protected procedures. */
  authError?: AppError;
}

function detailsOf(cause: unknown): FieldIssue[] | undefined {
  if (cause instanceof AppError) return cause.details;
  if (cause instanceof ZodError) return cause.issues.map((i) => ({ path: i.path.map(String).join(".") || "input", message: i.message }));
  return undefined;
}

const t = initTRPC.context<Context>().create({
  // Field-level reasons travel to clients in `data.details`, the same list the REST API returns.
  errorFormatter: ({ shape, error }) => ({ ...shape, data: { ...shape.data, details: detailsOf(error.cause) } }),
});

/** Services throw AppError; turn it into the TRPCError with the mapped code (so callers see NOT_FOUND, not a 500). */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AppError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: cause.trpcCode, message: cause.message, cause });
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(appErrors);

/** Signed-in callers only; `ctx.scope` is the organization every query must stay in. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.authError) throw new TRPCError({ code: ctx.authError.trpcCode, message: ctx.authError.message, cause: ctx.authError });
  if (!ctx.identity) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  const scope: Scope = scopeOf(ctx.identity);
  return next({ ctx: { identity: ctx.identity, scope, operator: isOperator(ctx.identity) } });
});
