"use client";

import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useTRPC } from "../trpc";

export type ConsoleRole = "admin" | "member" | "viewer";
const RANK: Record<ConsoleRole, number> = { viewer: 0, member: 1, admin: 2 };

/** The caller's role in the organization (whoami; cached), and what it allows. */
export function useRole() {
  const trpc = useTRPC();
  const me = useQuery(trpc.whoami.queryOptions(undefined, { retry: false, staleTime: 60_000 }));
  const role = me.data?.role as ConsoleRole | undefined;
  return {
    role,
    /** Create jobs and act on them (members and admins). */
    canAct: role !== undefined && RANK[role] >= RANK.member,
    /** Settings, alert rules, secrets (admins). */
    isAdmin: role === "admin",
    operator: Boolean(me.data?.operator),
  };
}

/**
 * Its children only for a role that may use them; the server refuses the rest anyway (403), the console just does
 * not offer what would be refused. Nothing while the role is still loading, so a viewer never sees a button flash.
 */
export function IfRole({
  atLeast,
  children,
  otherwise = null,
}: {
  atLeast: Exclude<ConsoleRole, "viewer">;
  children: ReactNode;
  otherwise?: ReactNode;
}) {
  const { role } = useRole();
  if (!role) return null;
  return RANK[role] >= RANK[atLeast] ? children : otherwise;
}

/** What a viewer reads where others see buttons. */
export function ReadOnlyNote({ what }: { what: string }) {
  return (
    <p className="muted" data-testid="read-only">
      Your role in this organization can read {what} but not change it.
    </p>
  );
}
