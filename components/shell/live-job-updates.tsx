"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { formatTime } from "../jobs/format";
import { LIVE_MS, useTRPC } from "../trpc";

/** Silence after which a stream is taken for dead (the server sends an event every 10 s). */
const SILENT_MS = 25_000;

/** How the page hears of changes: a stream from the server, a poll when there is none, or nothing (the server is away). */
type Mode = "connecting" | "stream" | "polling" | "disconnected";

/**
 * Live updates for every job view on the page. The server pushes the organization's change counter over one
 * server-sent event stream per tab (/api/live); lists, counts and the badge refetch only when it moves. Where the
 * stream cannot be held (a proxy that buffers, a platform that cuts long requests), the tab polls the counter
 * instead (`job.version`, a 16-row index read). When neither answers, the page keeps what it shows under a
 * "disconnected, retrying" notice rather than passing stale rows off as live.
 */
export function LiveJobUpdates() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<Mode>("connecting");
  const seen = useRef<number | undefined>(undefined);
  const [lastHeard, setLastHeard] = useState<number>(() => Date.now());

  const onVersion = (version: number) => {
    setLastHeard(Date.now());
    if (seen.current !== undefined && seen.current !== version) {
      void queryClient.invalidateQueries({
        predicate: (q) => {
          const path = q.queryKey[0];
          return Array.isArray(path) && path[0] === "job" && path[1] !== "version";
        },
      });
    }
    seen.current = version;
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: one stream for the tab's lifetime
  useEffect(() => {
    if (typeof EventSource === "undefined") {
      setMode("polling");
      return;
    }
    let source: EventSource;
    let heardAt = Date.now();
    const connect = () => {
      source = new EventSource("/api/live");
      source.addEventListener("open", () => {
        heardAt = Date.now();
        setMode("stream");
      });
      source.addEventListener("ping", () => {
        heardAt = Date.now();
      });
      source.addEventListener("jobs", (e) => {
        heardAt = Date.now();
        setMode("stream");
        const v = Number((JSON.parse((e as MessageEvent<string>).data) as { version?: unknown }).version);
        if (Number.isFinite(v)) onVersion(v);
      });
      // The browser retries by itself; meanwhile the counter is polled, and the poll says whether the server is there.
      source.addEventListener("error", () => setMode((m) => (m === "disconnected" ? m : "polling")));
    };
    connect();
    // A stream gone silent (the server pings every 10 s) is dead without an error: poll, and open a new one.
    const watchdog = setInterval(() => {
      if (Date.now() - heardAt < SILENT_MS) return;
      source.close();
      setMode((m) => (m === "disconnected" ? m : "polling"));
      heardAt = Date.now();
      connect();
    }, 5_000);
    return () => {
      clearInterval(watchdog);
      source.close();
    };
  }, []);

  const poll = useQuery(
    trpc.job.version.queryOptions(undefined, {
      // Until the stream is open too: a stream slow to open (or never opening behind a proxy) leaves nothing stale.
      enabled: mode !== "stream",
      refetchInterval: LIVE_MS,
      retry: false,
    }),
  );
  // The stream just dropped: ask at once whether the server is there (the interval would wait 1.5 s).
  // biome-ignore lint/correctness/useExhaustiveDependencies: when the mode turns to polling
  useEffect(() => {
    if (mode === "polling") void poll.refetch();
  }, [mode]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: follows the poll's outcome only
  useEffect(() => {
    if (mode === "stream") return;
    if (poll.isError && poll.failureCount > 0) setMode("disconnected");
    else if (poll.data) {
      setMode((m) => (m === "disconnected" ? "polling" : m));
      onVersion(poll.data.version);
    }
  }, [poll.dataUpdatedAt, poll.errorUpdatedAt, mode]);

  return (
    <span data-live-mode={mode} data-testid="live-mode">
      {mode === "disconnected" ? (
        <span className="live-notice" role="status">
          Disconnected from the server, retrying. Showing what was current at {formatTime(new Date(lastHeard).toISOString())}.
        </span>
      ) : null}
    </span>
  );
}
