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

/**
 * What a caller may do in its organization, from its Clerk organization role: `org:admin` everything (settings,
 * alert rules, secrets), `org:member` create and act on jobs, any other role (`org:viewer`, a custom one) read only.
 */
export type Role = "admin" | "member" | "viewer";

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2 };

/** Where a request came from, for the audit trail: its id, the client's address and user agent, and the door. */
export interface RequestMeta {
  id: string;
  ip: string | null;
  userAgent: string | null;
  door: "rest" | "trpc" | "action" | "cli" | "system";
}

/** The tenant every read and write is confined to, and who acts in it. */
export interface Scope {
  orgId: string;
  userId: string;
  /** Unset for the system's own callers (crons, scripts), which act as the organization's admin. */
  role?: Role;
  request?: RequestMeta;
}

export function roleOf(identity: Identity): Role {
  // A personal workspace is its owner's.
  if (!identity.orgId) return "admin";
  const role = (identity.orgRole ?? "").toLowerCase();
  if (role === "org:admin" || role === "admin") return "admin";
  if (role === "org:member" || role === "member" || role === "basic_member") return "member";
  return "viewer";
}

/**
 * A user without an active organization works in a personal workspace of their own, so jobs are never shared by
 * accident between people who have not joined the same organization.
 */
export function scopeOf(identity: Identity | null, request?: RequestMeta): Scope {
  if (!identity) throw new AppError("UNAUTHORIZED", "sign in first: send a Clerk session token (Authorization: Bearer …) or cookie");
  return {
    orgId: identity.orgId ?? `personal:${identity.userId}`,
    userId: identity.userId,
    role: roleOf(identity),
    ...(request ? { request } : {}),
  };
}

/** The caller's role (the system's own callers count as admin). */
export const roleIn = (scope: Scope): Role => scope.role ?? "admin";

/**
 * Throws 403 naming what the caller tried and what it needs, unless its role is at least `needed`. Services call it
 * first, so every door (REST, tRPC, server actions) answers the same.
 */
export function requireRole(scope: Scope, needed: Exclude<Role, "viewer">, what: string): void {
  const role = roleIn(scope);
  if (RANK[role] >= RANK[needed]) return;
  const who = needed === "admin" ? "an organization admin" : "a member or admin of the organization";
  throw new AppError("FORBIDDEN", `${what} needs ${who}; your role (${role}) can only ${role === "viewer" ? "read" : "act on jobs"}`);
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
