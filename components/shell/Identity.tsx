"use client";

import { OrganizationSwitcher, UserButton } from "@clerk/nextjs";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";

function DevIdentity() {
  const trpc = useTRPC();
  const who = useQuery(trpc.whoami.queryOptions(undefined, { retry: false }));
  return (
    <div data-testid="dev-identity">
      <strong>Development identity</strong>
      <div>{who.data ? `${who.data.userId} in ${who.data.scope.orgId}` : who.error ? who.error.message : "…"}</div>
      <div>Clerk is not configured.</div>
    </div>
  );
}

/** Who is signed in: Clerk's own controls, or a clear label for the local development identity. */
export function Identity({ clerk }: { clerk: boolean }) {
  if (!clerk) return <DevIdentity />;
  return (
    <div className="row">
      <OrganizationSwitcher />
      <UserButton />
    </div>
  );
}
