/**
 * What every request to the app passes before any route runs (called from proxy.ts):
 *  - cross-site request forgery: a state-changing API call that rides on a cookie session must come from this
 *    origin (`Sec-Fetch-Site`, else `Origin`); calls with a bearer token are not at risk (a page cannot attach one);
 *  - bodies are JSON: text/plain and form bodies (what a cross-site form or `no-cors` fetch can send without a
 *    preflight) are refused with 415;
 *  - a Content-Security-Policy with a per-request nonce for pages, which Next.js puts on its own scripts.
 * /api/inngest is Inngest's door (signed requests from the engine or Inngest Cloud) and is left to the SDK.
 */

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The largest request body the API reads (a job's payload is at most MAX_PAYLOAD_BYTES of it). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** A bulk create's body (up to 1,000 jobs): larger, still under what Next.js buffers for a route (10 MB). */
export const MAX_BATCH_BODY_BYTES = 8 * 1024 * 1024;

/** The body limit of a path: bulk creates get the larger one. */
export function maxBodyBytes(pathname: string): number {
  return pathname === "/api/jobs/batch" || /^\/api\/trpc\/job\.createMany$/.test(pathname) ? MAX_BATCH_BODY_BYTES : MAX_BODY_BYTES;
}

function refusal(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

export const isJsonType = (type: string) => /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type.trim());

/** The response that refuses this request, or undefined when it may go on. */
export function refuseUnsafeRequest(req: Request): Response | undefined {
  if (SAFE_METHODS.has(req.method)) return undefined;
  const { pathname } = new URL(req.url);
  if (!pathname.startsWith("/api/") || pathname === "/api/inngest" || pathname.startsWith("/api/inngest/")) return undefined;
  const bearer = /^Bearer\s+\S/i.test(req.headers.get("authorization") ?? "");
  if (!bearer) {
    const site = req.headers.get("sec-fetch-site");
    const origin = req.headers.get("origin");
    const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
    let foreign = site !== null && site !== "same-origin" && site !== "none";
    if (!foreign && origin !== null) {
      try {
        foreign = new URL(origin).host !== host;
      } catch {
        foreign = true; // "null" and other opaque origins
      }
    }
    if (foreign)
      return refusal(403, "FORBIDDEN", "cross-site request refused: call the API from this site, or with an Authorization: Bearer token");
  }
  const type = req.headers.get("content-type");
  const length = req.headers.get("content-length");
  const max = maxBodyBytes(pathname);
  if (length !== null && Number(length) > max) {
    return refusal(413, "PAYLOAD_TOO_LARGE", `request bodies may be at most ${max} bytes; this one is ${length}`);
  }
  if (type ? !isJsonType(type) : length !== null && length !== "0") {
    return refusal(415, "UNSUPPORTED_MEDIA_TYPE", `request bodies must be JSON (content-type: application/json), not ${type ?? "untyped"}`);
  }
  return undefined;
}

/** The Clerk Frontend API host a publishable key names (`pk_test_<base64("host$")>`), for the CSP. */
export function clerkFrontendApi(publishableKey: string | undefined): string | undefined {
  const encoded = publishableKey?.split("_")[2];
  if (!encoded) return undefined;
  try {
    const host = atob(encoded).replace(/\$$/, "");
    return /^[a-z0-9.-]+$/i.test(host) ? host : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The pages' policy: scripts only from this origin or carrying this request's nonce ('strict-dynamic' lets those
 * load their own chunks), no plugins, no framing by other sites, forms and fetches only back to this origin, plus
 * what Clerk's components need when Clerk is on. Development adds 'unsafe-eval' for React's dev tooling.
 */
export function contentSecurityPolicy(nonce: string, opts: { dev: boolean; clerkHost?: string }): string {
  const clerk = opts.clerkHost ? [`https://${opts.clerkHost}`] : [];
  const challenges = opts.clerkHost ? ["https://challenges.cloudflare.com"] : [];
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    "script-src": ["'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...(opts.dev ? ["'unsafe-eval'"] : []), ...clerk, ...challenges],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:", ...(opts.clerkHost ? ["https://img.clerk.com"] : [])],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'", ...clerk],
    "frame-src": ["'self'", ...challenges],
    "worker-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
  };
  return Object.entries(directives)
    .map(([k, v]) => `${k} ${v.join(" ")}`)
    .join("; ");
}
