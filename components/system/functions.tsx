"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { Fragment, useState } from "react";
import { Loading } from "../load-state";
import { ScrollRegion } from "../scroll-region";
import { useRole } from "../shell/use-role";
import { TableHead } from "../table-head";
import { LIVE_MS, type RouterOutputs, useTRPC } from "../trpc";
import { celInWords } from "./cel-words";
import { describeFlow } from "./flow-text";
import { InvokeForm } from "./invoke-form";

type ListedFunction = RouterOutputs["system"]["functions"]["functions"][number];

/** A function as this app registers it (passed in by the page): shown when Inngest cannot list functions itself. */
export type RegisteredFunction = Pick<ListedFunction, "id" | "triggers" | "retries" | "flow_control">;

/** A listed function, or a registered one whose live figures nobody could give (null). */
type Row = RegisteredFunction & { [K in "paused" | "in_flight" | "counts_24h"]: ListedFunction[K] | null };

/** Failure handlers (`<function>-failure`) go under the function they handle, not as functions of their own. */
function grouped(rows: Row[]): Array<Row & { handlers: Row[] }> {
  const ids = new Set(rows.map((r) => r.id));
  const handlerOf = (id: string) =>
    id.endsWith("-failure") && ids.has(id.slice(0, -"-failure".length)) ? id.slice(0, -"-failure".length) : null;
  return rows.filter((r) => !handlerOf(r.id)).map((r) => ({ ...r, handlers: rows.filter((h) => handlerOf(h.id) === r.id) }));
}

const counts = (c: Record<string, number> | null) =>
  Object.entries(c ?? {})
    .map(([k, v]) => `${k.toLowerCase()} ${v}`)
    .join(", ") || "none";

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
  const types = useQuery(trpc.job.types.queryOptions());
  const { canAct, operator } = useRole();
  const [invoking, setInvoking] = useState<string | null>(null);
  const jobOf = (fnId: string) => types.data?.find((t) => t.functionId === fnId);
  const scheduledOnly = (f: Row) => f.triggers.length > 0 && f.triggers.every((t) => t.cron);
  // A job type's function runs as a job (any member); every other function works for the installation (operators).
  const mayInvoke = (f: Row) => f.paused === false && canAct && (operator || Boolean(jobOf(f.id)));
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
          <TableHead columns={["Function", "Triggers", "Flow control", "Runs", "State"]} />
          <tbody>
            {grouped(rows).map((f) => (
              <Fragment key={f.id}>
                <tr data-function={f.id}>
                  <td style={{ whiteSpace: "normal", overflowWrap: "anywhere" }}>
                    <code>{f.id}</code>{" "}
                    {f.paused ? (
                      <span className="badge paused" data-testid="paused-badge">
                        paused
                      </span>
                    ) : null}
                  </td>
                  <td style={{ whiteSpace: "normal", overflowWrap: "anywhere" }}>
                    {f.triggers
                      .map((t) => (t.event ? `${t.event}${t.expression ? ` if ${celInWords(t.expression)}` : ""}` : `cron ${t.cron}`))
                      .join(", ")}
                  </td>
                  <td style={{ whiteSpace: "normal", fontSize: "0.8rem", overflowWrap: "anywhere" }}>
                    <ul style={{ margin: 0, paddingLeft: "1rem" }}>
                      {describeFlow(f.flow_control).map((line) => (
                        <li key={line}>{line}</li>
                      ))}
                      <li>
                        retried {f.retries} time{f.retries === 1 ? "" : "s"}
                      </li>
                    </ul>
                  </td>
                  <td style={{ whiteSpace: "normal", fontSize: "0.8rem" }}>
                    <div>in flight {f.in_flight ?? "–"}</div>
                    <div>24 h: {counts(f.counts_24h)}</div>
                    <Link href={`/runs?function=${encodeURIComponent(f.id)}`}>runs</Link>
                  </td>
                  <td>
                    {mayInvoke(f) ? (
                      <button
                        type="button"
                        className="secondary"
                        style={{ marginBottom: "0.3rem" }}
                        aria-expanded={invoking === f.id}
                        onClick={() => setInvoking(invoking === f.id ? null : f.id)}
                      >
                        {scheduledOnly(f) ? "Run now" : "Invoke"}
                        <span className="visually-hidden"> {f.id}</span>…
                      </button>
                    ) : null}{" "}
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
                {invoking === f.id ? (
                  <tr className="sub-row" data-invoke={f.id}>
                    <td colSpan={5}>
                      <InvokeForm
                        functionId={f.id}
                        scheduled={scheduledOnly(f)}
                        example={jobOf(f.id)?.example}
                        jobType={jobOf(f.id) ? { type: jobOf(f.id)?.type as string, label: jobOf(f.id)?.label as string } : undefined}
                      />
                    </td>
                  </tr>
                ) : null}
                {f.handlers.map((h) => (
                  <tr key={h.id} data-function={h.id} data-failure-handler-of={f.id} className="sub-row">
                    <td colSpan={3} style={{ whiteSpace: "normal", paddingLeft: "1.5rem", fontSize: "0.85rem" }}>
                      ↳ failure handler <code>{h.id}</code> <span className="muted">runs when {f.id} fails for good</span>
                    </td>
                    <td style={{ whiteSpace: "normal", fontSize: "0.8rem" }}>
                      24 h: {counts(h.counts_24h)} · <Link href={`/runs?function=${encodeURIComponent(h.id)}`}>runs</Link>
                    </td>
                    <td />
                  </tr>
                ))}
              </Fragment>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </div>
  );
}
