import "server-only";
import { auth } from "@clerk/nextjs/server";
import { headers } from "next/headers";
import { clerkEnabled, env } from "@/env";
import { AppError } from "./errors";
import { type Identity, type Role, roleOf } from "./identity";

/**
 * The caller of the current request. With Clerk configured, the session Clerk's middleware (proxy.ts) verified
 * from the bearer token or session cookie; otherwise the local development identity, which production refuses
 * unless ALLOW_DEV_AUTH=1 so a deployment that forgot its Clerk keys never serves everyone as one user.
 */
export async function getIdentity(): Promise<Identity | null> {
  if (clerkEnabled()) {
    const a = await auth();
    if (!a.userId) return null;
    return { userId: a.userId, orgId: a.orgId ?? null, orgRole: a.orgRole ?? null, source: "clerk" };
  }
  await headers(); // stay request-bound like auth(): an identity is never prerendered into a static page
  const e = env();
  if (e.NODE_ENV === "production" && !e.ALLOW_DEV_AUTH) {
    throw new AppError(
      "UNAVAILABLE",
      "authentication is not configured: set the Clerk keys (NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY, CLERK_SECRET_KEY, CLERK_JWT_KEY) or ALLOW_DEV_AUTH=1 to use the development identity in production",
    );
  }
  return { userId: e.DEV_USER_ID, orgId: e.DEV_ORG_ID, orgRole: e.DEV_ORG_ROLE, source: "dev" };
}

/** The current caller's role in its organization, for a page deciding what to offer (null when signed out). */
export async function currentRole(): Promise<Role | null> {
  try {
    const identity = await getIdentity();
    return identity ? roleOf(identity) : null;
  } catch {
    return null;
  }
}
