"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { fieldErrorsOf, parseJsonObject } from "../form-input";
import { LoadError } from "../load-state";
import { ScrollRegion } from "../scroll-region";
import { TableHead } from "../table-head";
import { LIVE_MS, useTRPC } from "../trpc";
import { When } from "../when";

/** Send an event (name + JSON data) and see the organization's recent events with the runs they started. */
export function Events() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("demo/task.requested");
  const [data, setData] = useState('{\n  "taskId": "from-the-console"\n}');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const events = useQuery(trpc.system.events.queryOptions(undefined, { refetchInterval: LIVE_MS }));
  const send = useMutation(
    trpc.system.sendEvent.mutationOptions({
      onSuccess: (r) => {
        setMessage(`Sent: ${r.ids.join(", ")}`);
        void queryClient.invalidateQueries();
      },
      onError: (e) => {
        const fields = fieldErrorsOf(e, (path) => path.split(".")[0] as string);
        setErrors(fields);
        setMessage(Object.keys(fields).length ? null : e.message);
      },
    }),
  );
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    const parsed = parseJsonObject(data);
    if ("error" in parsed) {
      setErrors({ data: parsed.error });
      return;
    }
    setErrors({});
    send.mutate({ name, data: parsed.value });
  };
  return (
    <div>
      <form
        className="panel"
        onSubmit={submit}
        noValidate
        aria-label="Send an event"
        style={{ display: "grid", gap: "0.75rem", maxWidth: "40rem" }}
      >
        <div className="field">
          <label htmlFor="event-name">Event name</label>
          <input id="event-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={errors.name ? true : undefined} />
          {errors.name ? <span className="error">{errors.name}</span> : null}
        </div>
        <div className="field">
          <label htmlFor="event-data">Data (JSON)</label>
          <textarea id="event-data" value={data} onChange={(e) => setData(e.target.value)} aria-invalid={errors.data ? true : undefined} />
          {errors.data ? <span className="error">{errors.data}</span> : null}
        </div>
        <div>
          <button type="submit" disabled={send.isPending}>
            Send event
          </button>
        </div>
        {message ? <p role="status">{message}</p> : null}
      </form>
      <h2>Recent events</h2>
      {events.error ? <LoadError what="events" error={events.error} /> : null}
      <ScrollRegion label="Recent events (scrolls)">
        <table aria-label="Recent events">
          <TableHead columns={["Received", "Name", "Runs started", "Data"]} />
          <tbody>
            {events.data?.length === 0 ? (
              <tr>
                <td colSpan={4} className="muted">
                  No events from this organization yet.
                </td>
              </tr>
            ) : null}
            {events.data?.map((e) => (
              <tr key={e.internal_id}>
                <td>
                  <When iso={e.received_at} />
                </td>
                <td>
                  <code>{e.name}</code>
                </td>
                <td style={{ whiteSpace: "normal" }}>
                  {e.runs.length ? (
                    e.runs.map((r, i) => (
                      <span key={r.run_id}>
                        {i ? ", " : ""}
                        <Link href={`/runs/${r.run_id}`}>{r.function_id}</Link> ({r.status.toLowerCase()})
                      </span>
                    ))
                  ) : (
                    <>
                      none
                      {e.no_run_reason ? <span className="muted"> — {e.no_run_reason}</span> : null}
                    </>
                  )}
                  {typeof e.data?.jobId === "string" ? (
                    <>
                      {" · "}
                      <Link href={`/jobs/${e.data.jobId}`}>job {e.data.jobId.slice(0, 8)}</Link>
                    </>
                  ) : null}
                </td>
                <td>
                  <code>{JSON.stringify(e.data).slice(0, 80)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </div>
  );
}
