"use client";

import { ClerkFailed, ClerkLoaded, ClerkLoading, OrganizationSwitcher, UserButton } from "@clerk/nextjs";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";

/** Who the server says is signed in and which workspace requests act in: the source of truth for scoping. */
function SessionLabel() {
  const trpc = useTRPC();
  const who = useQuery(trpc.whoami.queryOptions(undefined, { retry: false }));
  if (who.error) return <div>{who.error.message}</div>;
  if (!who.data) return <div aria-busy="true">…</div>;
  const { userId, orgId, orgRole } = who.data;
  return (
    <div data-testid="session-label">
      <div>{userId}</div>
      <div className="muted">{orgId ? `${orgId}${orgRole ? ` (${orgRole.replace(/^org:/, "")})` : ""}` : "personal workspace"}</div>
    </div>
  );
}

function DevIdentity() {
  return (
    <div data-testid="dev-identity">
      <strong>Development identity</strong>
      <SessionLabel />
      <div>Clerk is not configured.</div>
    </div>
  );
}

/**
 * Who is signed in: Clerk's own controls, or a clear label for the local development identity. Clerk's controls
 * come from clerk-js, loaded from Clerk's servers; until it loads (or when it cannot, e.g. with no network) the
 * server's view of the session stands in, so the shell never hides whose data is shown.
 */
export function Identity({ clerk }: { clerk: boolean }) {
  if (!clerk) return <DevIdentity />;
  return (
    <div data-testid="clerk-identity">
      <ClerkLoaded>
        <div className="row">
          <OrganizationSwitcher />
          <UserButton />
        </div>
      </ClerkLoaded>
      <ClerkLoading>
        <SessionLabel />
      </ClerkLoading>
      <ClerkFailed>
        <SessionLabel />
        <div className="muted">Clerk's controls could not load.</div>
      </ClerkFailed>
    </div>
  );
}
