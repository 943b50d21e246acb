import { clerkMiddleware } from "@clerk/nextjs/server";
import { type NextFetchEvent, type NextMiddleware, type NextRequest, NextResponse } from "next/server";
import { clerkEnabled, env } from "./env";
import { clerkFrontendApi, contentSecurityPolicy, refuseUnsafeRequest } from "./server/http/request-safety";

/**
 * Every page and API request passes here first:
 *  1. cross-site and non-JSON state-changing API calls are refused (server/http/request-safety.ts);
 *  2. with Clerk configured, Clerk's middleware verifies the session (bearer token or cookie). `jwtKey` is passed
 *     explicitly, so tokens are verified locally instead of by fetching Clerk's JWKS over the network; without
 *     Clerk, server/auth.ts uses the development identity;
 *  3. pages get a Content-Security-Policy with a fresh nonce, which Next.js reads from the request and puts on its
 *     scripts; API answers get one that allows nothing, and their requests go on unchanged.
 * /api/inngest is left out (Inngest signs its own requests), and so is /api/metrics (its own bearer token, which
 * Clerk's middleware would take for a session token).
 */
let clerk: NextMiddleware | undefined;

/**
 * What an API answer (JSON, an event stream) may load: nothing. It needs no nonce, so its request goes on unchanged:
 * passing rewritten request headers on makes Next.js copy and re-read every header of the request.
 */
const API_POLICY = "default-src 'none'; frame-ancestors 'none'";
const isApi = (pathname: string) => pathname.startsWith("/api/") || pathname.startsWith("/trpc/");

function withPolicy(req: NextRequest): NextResponse {
  if (isApi(req.nextUrl.pathname)) {
    const res = NextResponse.next();
    res.headers.set("content-security-policy", API_POLICY);
    return res;
  }
  const nonce = btoa(crypto.randomUUID());
  const csp = contentSecurityPolicy(nonce, {
    dev: process.env.NODE_ENV !== "production",
    clerkHost: clerkFrontendApi(process.env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY),
  });
  const headers = new Headers(req.headers);
  headers.set("content-security-policy", csp);
  headers.set("x-nonce", nonce);
  const res = NextResponse.next({ request: { headers } });
  res.headers.set("content-security-policy", csp);
  return res;
}

export default function proxy(req: NextRequest, event: NextFetchEvent) {
  const refused = refuseUnsafeRequest(req);
  if (refused) return refused;
  if (!clerkEnabled()) return withPolicy(req);
  const e = env();
  clerk ??= clerkMiddleware((_auth, r) => withPolicy(r), {
    jwtKey: e.CLERK_JWT_KEY,
    authorizedParties: e.CLERK_AUTHORIZED_PARTIES?.split(",").filter(Boolean),
  });
  return clerk(req, event);
}

export const config = {
  matcher: [
    "/((?!_next|api/inngest|api/metrics|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)",
    "/(api(?!/inngest|/metrics)|trpc)(.*)",
  ],
};
