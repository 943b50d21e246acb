"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { LIVE_MS, useTRPC } from "../trpc";

/**
 * Live updates for every job view on the page, at the cost of one tiny poll: the organization's change counter
 * (`job.version`). Lists, counts and the badge refetch only when it moved, so an idle console costs the database
 * one 16-row index read per interval. React Query never starts a poll while the last one is in flight.
 */
export function LiveJobUpdates() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const version = useQuery(trpc.job.version.queryOptions(undefined, { refetchInterval: LIVE_MS }));
  const seen = useRef<number | undefined>(undefined);
  const current = version.data?.version;
  useEffect(() => {
    if (current === undefined) return;
    if (seen.current !== undefined && seen.current !== current) {
      void queryClient.invalidateQueries({
        predicate: (q) => {
          const path = q.queryKey[0];
          return Array.isArray(path) && path[0] === "job" && path[1] !== "version";
        },
      });
    }
    seen.current = current;
  }, [current, queryClient]);
  return null;
}
