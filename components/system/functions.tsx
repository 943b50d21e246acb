"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Loading } from "../load-state";
import { ScrollRegion } from "../scroll-region";
import { TableHead } from "../table-head";
import { LIVE_MS, type RouterOutputs, useTRPC } from "../trpc";

type ListedFunction = RouterOutputs["system"]["functions"]["functions"][number];

/** A function as this app registers it (passed in by the page): shown when Inngest cannot list functions itself. */
export type RegisteredFunction = Pick<ListedFunction, "id" | "triggers" | "retries" | "flow_control">;

/** A listed function, or a registered one whose live figures nobody could give (null). */
type Row = RegisteredFunction & { [K in "paused" | "in_flight" | "counts_24h"]: ListedFunction[K] | null };

function summary(flow: Record<string, unknown>): string[] {
  return Object.entries(flow)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
}

/**
 * Registered functions: triggers, flow control, runs in flight and the last day's counts; pause and resume. Those
 * live figures come from Inngest's API (the embedded engine serves it); an Inngest that does not list functions
 * (Inngest Cloud) gets the app's own registrations instead, and a link to its dashboard for the rest.
 */
export function Functions({ registered, dashboardUrl }: { registered: RegisteredFunction[]; dashboardUrl: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<string | null>(null);
  const fns = useQuery(trpc.system.functions.queryOptions(undefined, { refetchInterval: LIVE_MS, retry: false }));
  const toggle = useMutation(
    trpc.system.setPaused.mutationOptions({
      onSuccess: (f) => {
        setMessage(`${f.id} ${f.paused ? "paused" : "resumed"}.`);
        void queryClient.invalidateQueries();
      },
      onError: (e) => setMessage(e.message),
    }),
  );
  if (fns.isLoading) return <Loading height="10rem" label="functions" />;
  const rows: Row[] = fns.data?.functions ?? registered.map((f) => ({ ...f, paused: null, in_flight: null, counts_24h: null }));
  const canPause = fns.data?.canPause ?? false;
  return (
    <div>
      {fns.error ? (
        <p className="notice" role="status" data-testid="functions-fallback">
          Inngest did not list its functions ({fns.error.message}). These are the functions this app registers; runs in flight and pausing
          are in <a href={dashboardUrl}>the Inngest dashboard</a>.
        </p>
      ) : null}
      {fns.data?.countsScope === "organization" ? (
        <p className="muted" data-testid="functions-scope">
          In flight and last-24-hour counts are your organization&apos;s own jobs. Pausing a function is an operator&apos;s action.
        </p>
      ) : null}
      {message ? (
        <p className="notice" role="status">
          {message}
        </p>
      ) : null}
      <ScrollRegion label="Functions (scrolls)">
        <table aria-label="Functions">
          <TableHead columns={["Function", "Triggers", "Flow control", "In flight", "Last 24 h", "State"]} />
          <tbody>
            {rows.map((f) => (
              <tr key={f.id} data-function={f.id}>
                <td>
                  <code>{f.id}</code>
                </td>
                <td style={{ whiteSpace: "normal" }}>
                  {f.triggers
                    .map((t) => (t.event ? `${t.event}${t.expression ? ` if ${t.expression}` : ""}` : `cron ${t.cron}`))
                    .join(", ")}
                </td>
                <td style={{ whiteSpace: "normal", fontSize: "0.8rem" }}>
                  {summary(f.flow_control).map((line) => (
                    <div key={line}>{line}</div>
                  ))}
                  <div>retries: {f.retries}</div>
                </td>
                <td>{f.in_flight ?? "–"}</td>
                <td style={{ whiteSpace: "normal", fontSize: "0.8rem" }}>
                  {Object.entries(f.counts_24h ?? {})
                    .map(([k, v]) => `${k.toLowerCase()} ${v}`)
                    .join(", ") || "–"}
                </td>
                <td>
                  {f.paused === null ? (
                    <span className="muted">in the dashboard</span>
                  ) : !canPause ? (
                    <span>{f.paused ? "paused" : "active"}</span>
                  ) : (
                    <button
                      type="button"
                      className={f.paused ? "" : "secondary"}
                      onClick={() => toggle.mutate({ id: f.id, paused: !f.paused })}
                      aria-label={`${f.paused ? "Resume" : "Pause"} ${f.id}`}
                    >
                      {f.paused ? "Resume" : "Pause"}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </div>
  );
}
