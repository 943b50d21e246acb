import { clerkMiddleware } from "@clerk/nextjs/server";
import { type NextFetchEvent, type NextMiddleware, type NextRequest, NextResponse } from "next/server";
import { clerkEnabled, env } from "./env";

/**
 * With Clerk configured, Clerk's middleware verifies the session (bearer token or cookie) for every page and API
 * route. `jwtKey` is passed explicitly: Clerk then verifies tokens locally instead of fetching its JWKS over the
 * network. Without Clerk the request passes through and server/auth.ts uses the development identity.
 * /api/inngest is left out: Inngest signs its own requests.
 */
let clerk: NextMiddleware | undefined;

export default function proxy(req: NextRequest, event: NextFetchEvent) {
  if (!clerkEnabled()) return NextResponse.next();
  const e = env();
  clerk ??= clerkMiddleware({
    jwtKey: e.CLERK_JWT_KEY,
    authorizedParties: e.CLERK_AUTHORIZED_PARTIES?.split(",").filter(Boolean),
  });
  return clerk(req, event);
}

export const config = {
  matcher: [
    "/((?!_next|api/inngest|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)",
    "/(api(?!/inngest)|trpc)(.*)",
  ],
};
