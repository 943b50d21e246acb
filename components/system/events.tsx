"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { fieldErrorsOf, parseJsonObject } from "../form-input";
import { formatBytes } from "../jobs/format";
import { ListTable } from "../list-table";
import { LoadError, Loading } from "../load-state";
import { useRole } from "../shell/use-role";
import { TableHead } from "../table-head";
import { LIVE_MS, useTRPC } from "../trpc";
import { When } from "../when";

/** Send an event (name + JSON data) and see the organization's recent events with the runs they started. */
export function Events() {
  const { canAct } = useRole();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("demo/task.requested");
  const [data, setData] = useState('{\n  "taskId": "from-the-console"\n}');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const events = useQuery(trpc.system.events.queryOptions(undefined, { refetchInterval: LIVE_MS }));
  const [open, setOpen] = useState<string | null>(null);
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
      {canAct ? (
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
            <textarea
              id="event-data"
              value={data}
              onChange={(e) => setData(e.target.value)}
              aria-invalid={errors.data ? true : undefined}
            />
            {errors.data ? <span className="error">{errors.data}</span> : null}
          </div>
          <div>
            <button type="submit" disabled={send.isPending}>
              Send event
            </button>
          </div>
          {message ? <p role="status">{message}</p> : null}
        </form>
      ) : null}
      <h2>Recent events</h2>
      {events.error ? <LoadError what="events" error={events.error} /> : null}
      <ListTable
        label="Recent events"
        columns={5}
        loading={events.isLoading}
        empty={events.data?.length === 0 ? "No events from this organization yet." : undefined}
        head={<TableHead columns={["Received", "Name", "Runs started", "Size", "Data"]} />}
      >
        {events.data?.map((e) => (
          <tr key={e.internal_id} data-event-id={e.id}>
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
              {e.job_id ? (
                <>
                  {" · "}
                  <Link href={`/jobs/${e.job_id}`}>job {e.job_id.slice(0, 8)}</Link>
                </>
              ) : null}
            </td>
            <td>{formatBytes(e.bytes)}</td>
            <td>
              <button
                type="button"
                className="secondary"
                onClick={() => setOpen(open === e.id ? null : e.id)}
                aria-expanded={open === e.id}
              >
                {open === e.id ? "Hide" : "Show"}
                <span className="visually-hidden"> data of {e.name}</span>
              </button>
            </td>
          </tr>
        ))}
      </ListTable>
      {open ? <EventData id={open} /> : null}
    </div>
  );
}

/** One event's data, read when asked for (the list carries none); a large event shows its first 64 KB. */
function EventData({ id }: { id: string }) {
  const trpc = useTRPC();
  const event = useQuery(trpc.system.event.queryOptions({ id }));
  if (event.isLoading) return <Loading height="6rem" label="the event's data" />;
  if (event.error) return <LoadError what="the event" error={event.error} />;
  const e = event.data;
  if (!e) return null;
  return (
    <section className="panel" aria-label={`Data of event ${e.id}`}>
      <h3 style={{ marginTop: 0 }}>
        <code>{e.name}</code> <span className="muted">· {e.id}</span>
      </h3>
      {e.preview !== null ? <p className="notice">{formatBytes(e.bytes)}: the first 64 KB are shown.</p> : null}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: long data scrolls; keyboard users need focus to scroll it */}
      <pre tabIndex={0} data-testid="event-data">
        {e.preview ?? JSON.stringify(e.data, null, 2)}
      </pre>
    </section>
  );
}
