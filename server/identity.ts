import { env } from "@/env";
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

/**
 * Operators run the installation (pause a function for everyone, grant credits, see full health); an
 * organization's admin only runs their organization. JOBDECK_OPERATORS names operator users and organizations
 * (separately: an organization id never stands for a user id);
 * when it is unset, the local development identity (one person on their own machine) is the operator.
 */
export function isOperator(identity: Identity | null): boolean {
  if (!identity) return false;
  const { users, orgs } = env().JOBDECK_OPERATORS;
  if (!users.length && !orgs.length) return identity.source === "dev";
  return users.includes(identity.userId) || (identity.orgId !== null && orgs.includes(identity.orgId));
}

/** Throws 403 unless the caller is an operator (`what` names the action in the message). */
export function assertOperator(identity: Identity | null, what: string): void {
  if (!isOperator(identity)) {
    throw new AppError("FORBIDDEN", `only an operator can ${what} (an installation-wide action; see JOBDECK_OPERATORS)`);
  }
}
