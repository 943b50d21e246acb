import { AppError } from "./errors";

/** Who is calling: a Clerk session, or the local development identity when Clerk is not configured. */
export interface Identity {
  userId: string;
  /** The active Clerk organization; null for a user acting in their personal account. */
  orgId: string | null;
  orgRole: string | null;
  source: "clerk" | "dev";
}

/** The tenant every read and write is confined to. */
export interface Scope {
  orgId: string;
  userId: string;
}

/**
 * A user without an active organization works in a personal workspace of their own, so jobs are never shared by
 * accident between people who have not joined the same organization.
 */
export function scopeOf(identity: Identity | null): Scope {
  if (!identity) throw new AppError("UNAUTHORIZED", "sign in first: send a Clerk session token (Authorization: Bearer …) or cookie");
  return { orgId: identity.orgId ?? `personal:${identity.userId}`, userId: identity.userId };
}
