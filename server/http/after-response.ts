import { after } from "next/server";

/**
 * Keeps `work` going after the response is sent. Inside a Next.js request (a route handler, a server action) it is
 * handed to Next's `after`, which on a serverless host (Vercel) keeps the function alive until it settles; elsewhere
 * (the functions worker, a script, a test) the process outlives it anyway. Failures are the work's own business.
 */
export function afterResponse(work: Promise<unknown>): void {
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  try {
    after(settled);
  } catch {
    // Outside a request scope: nothing to extend.
  }
}
