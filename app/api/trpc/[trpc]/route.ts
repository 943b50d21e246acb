import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createContext } from "@/server/api/context";
import { appRouter } from "@/server/api/root";

/** The console batches a page's queries into one request; more than this in one request is refused with a 400. */
const MAX_BATCH = 20;

const handler = (req: Request) =>
  fetchRequestHandler({ endpoint: "/api/trpc", req, router: appRouter, createContext, maxBatchSize: MAX_BATCH });

export { handler as GET, handler as POST };
