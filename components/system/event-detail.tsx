"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { shortJobId, shortRunId } from "../ids";
import { formatBytes } from "../jobs/format";
import { Loading } from "../load-state";
import { useTRPC } from "../trpc";
import { When } from "../when";
import { EventDataBody } from "./events";

/**
 * One event: its full data, what each function that listens for its name made of it (the run it started, or why
 * none), and the job it belongs to.
 */
export function EventDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const event = useQuery(trpc.system.event.queryOptions({ id }, { retry: false }));
  const fns = useQuery(trpc.system.functions.queryOptions(undefined, { retry: false }));
  if (event.isLoading) return <Loading height="12rem" label="the event" />;
  if (event.error) {
    return (
      <div className="alert" role="alert">
        {event.error.data?.code === "NOT_FOUND"
          ? "No such event in your organization."
          : `Could not load the event: ${event.error.message}`}{" "}
        <Link href="/events">Back to events</Link>
      </div>
    );
  }
  const e = event.data;
  if (!e) return null;
  const listeners = (fns.data?.functions ?? []).filter((f) => f.triggers.some((t) => t.event === e.name));
  const runsOf = (fnId: string) => e.runs.filter((r) => r.function_id === fnId);
  // Runs of functions that do not list this name as a trigger (an invoke, a replay) still belong to the event.
  const others = e.runs.filter((r) => !listeners.some((f) => f.id === r.function_id));
  return (
    <div>
      <h1>
        <code>{e.name}</code>
      </h1>
      <p>
        id <code data-testid="event-id">{e.id}</code> · received <When iso={e.received_at} /> · {formatBytes(e.bytes)}
        {e.job_id ? (
          <>
            {" · "}
            <Link href={`/jobs/${e.job_id}`}>job {shortJobId(e.job_id)}</Link>
          </>
        ) : null}
      </p>
      <section className="panel" aria-label="What the functions made of it">
        <h2 style={{ marginTop: 0 }}>Functions</h2>
        {listeners.length === 0 && others.length === 0 ? (
          <p className="muted" data-testid="no-listener">
            {e.internal ?? e.no_run_reason ?? "No function started a run for it."}
          </p>
        ) : (
          <ul data-testid="event-functions">
            {listeners.map((f) => {
              const runs = runsOf(f.id);
              return (
                <li key={f.id}>
                  <code>{f.id}</code>:{" "}
                  {runs.length ? (
                    runs.map((r, i) => (
                      <span key={r.run_id}>
                        {i ? ", " : ""}
                        <Link href={`/runs/${r.run_id}`}>run {shortRunId(r.run_id)}</Link> ({r.status.toLowerCase()})
                      </span>
                    ))
                  ) : (
                    <span className="muted">no run{e.no_run_reason ? ` — ${e.no_run_reason}` : ""}</span>
                  )}
                </li>
              );
            })}
            {others.map((r) => (
              <li key={r.run_id}>
                <code>{r.function_id}</code>: <Link href={`/runs/${r.run_id}`}>run {shortRunId(r.run_id)}</Link> ({r.status.toLowerCase()})
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel" aria-label="Event data">
        <h2 style={{ marginTop: 0 }}>Data</h2>
        <EventDataBody event={e} />
      </section>
    </div>
  );
}
