import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createContext } from "@/server/api/context";
import { appRouter } from "@/server/api/root";
import { logUnexpectedError } from "@/server/api/trpc";
import { RETRY_AFTER_SECONDS } from "@/server/errors";
import { errorResponse } from "@/server/http/api-route";
import { withBoundedBody } from "@/server/http/bounded-body";
import { maxBodyBytes } from "@/server/http/request-safety";

/** The console batches a page's queries into one request; more than this in one request is refused with a 400. */
const MAX_BATCH = 20;

async function handler(req: Request): Promise<Response> {
  let bounded: Request;
  try {
    bounded = await withBoundedBody(req, maxBodyBytes(new URL(req.url).pathname));
  } catch (err) {
    return errorResponse(err);
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: bounded,
    router: appRouter,
    createContext,
    maxBatchSize: MAX_BATCH,
    onError: logUnexpectedError,
    // A database that is away is a 503 with the time to retry, as on the REST API.
    responseMeta: ({ errors }) =>
      errors.some((e) => e.code === "SERVICE_UNAVAILABLE" || e.code === "TOO_MANY_REQUESTS")
        ? { headers: { "retry-after": String(RETRY_AFTER_SECONDS) } }
        : {},
  });
}

export { handler as GET, handler as POST };
