"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { LoadError, Loading } from "../LoadState";
import { ScrollRegion } from "../ScrollRegion";
import { TableHead } from "../TableHead";
import { LIVE_MS, useTRPC } from "../trpc";

function summary(flow: Record<string, unknown>): string[] {
  return Object.entries(flow)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
}

/** Registered functions: triggers, flow control, runs in flight and the last day's counts; pause and resume. */
export function Functions() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<string | null>(null);
  const fns = useQuery(trpc.system.functions.queryOptions(undefined, { refetchInterval: LIVE_MS }));
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
  if (fns.error) return <LoadError what="functions" error={fns.error} />;
  return (
    <div>
      {message ? (
        <p className="notice" role="status">
          {message}
        </p>
      ) : null}
      <ScrollRegion label="Functions (scrolls)">
        <table aria-label="Functions">
          <TableHead columns={["Function", "Triggers", "Flow control", "In flight", "Last 24 h", "State"]} />
          <tbody>
            {fns.data?.map((f) => (
              <tr key={f.id} data-function={f.id}>
                <td>
                  <code>{f.id}</code>
                </td>
                <td style={{ whiteSpace: "normal" }}>{f.triggers.map((t) => t.event ?? `cron ${t.cron}`).join(", ")}</td>
                <td style={{ whiteSpace: "normal", fontSize: "0.8rem" }}>
                  {summary(f.flow_control).map((line) => (
                    <div key={line}>{line}</div>
                  ))}
                  <div>retries: {f.retries}</div>
                </td>
                <td>{f.in_flight}</td>
                <td style={{ whiteSpace: "normal", fontSize: "0.8rem" }}>
                  {Object.entries(f.counts_24h)
                    .map(([k, v]) => `${k.toLowerCase()} ${v}`)
                    .join(", ") || "–"}
                </td>
                <td>
                  <button
                    type="button"
                    className={f.paused ? "" : "secondary"}
                    onClick={() => toggle.mutate({ id: f.id, paused: !f.paused })}
                    aria-label={`${f.paused ? "Resume" : "Pause"} ${f.id}`}
                  >
                    {f.paused ? "Resume" : "Pause"}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </div>
  );
}
