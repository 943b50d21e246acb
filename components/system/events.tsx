"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { FilterForm, isRange, RANGES, RangeField, SearchField } from "../filter-form";
import { shortJobId } from "../ids";
import { formatBytes } from "../jobs/format";
import { ListTable } from "../list-table";
import { LoadError, Loading } from "../load-state";
import { useRole } from "../shell/use-role";
import { TableHead } from "../table-head";
import { LIVE_MS, useTRPC } from "../trpc";
import { useUrlState } from "../url-state";
import { When } from "../when";
import { EventSender } from "./event-sender";

/** Send an event, and see the organization's recent events (by name and time, in the URL) with the runs they started. */
export function Events() {
  const { canAct } = useRole();
  const trpc = useTRPC();
  const [url, setUrl] = useUrlState(["name", "range"] as const);
  const filter = {
    ...(url.name.trim() ? { name: url.name.trim() } : {}),
    // The range's start, rounded to the minute so the query key (and the poll) does not change every render.
    ...(isRange(url.range) ? { from: new Date(Math.floor((Date.now() - RANGES[url.range]) / 60_000) * 60_000) } : {}),
  };
  const events = useQuery(trpc.system.events.queryOptions(filter, { refetchInterval: LIVE_MS }));
  const [open, setOpen] = useState<string | null>(null);
  const filtered = Boolean(filter.name || filter.from);
  return (
    <div>
      {canAct ? <EventSender /> : null}
      <h2>Recent events</h2>
      <FilterForm label="Filter events">
        <SearchField label="Name" value={url.name} onChange={(name) => setUrl({ name })} placeholder="exact name, e.g. shop/order.placed" />
        <RangeField value={url.range} onChange={(range) => setUrl({ range })} />
      </FilterForm>
      {events.error ? <LoadError what="events" error={events.error} /> : null}
      <ListTable
        label="Recent events"
        columns={5}
        loading={events.isLoading}
        empty={
          events.data?.length === 0
            ? filtered
              ? "No event of this organization matches."
              : "No events from this organization yet."
            : undefined
        }
        head={<TableHead columns={["Received", "Name", "Runs started", "Size", "Data"]} />}
      >
        {events.data?.map((e) => (
          <tr key={e.internal_id} data-event-id={e.id}>
            <td>
              <When iso={e.received_at} />
            </td>
            <td>
              <Link href={`/events/${encodeURIComponent(e.id)}`}>
                <code>{e.name}</code>
              </Link>
            </td>
            <td style={{ whiteSpace: "normal" }}>
              {e.runs.length ? (
                e.runs.map((r, i) => (
                  <span key={r.run_id}>
                    {i ? ", " : ""}
                    <Link href={`/runs/${r.run_id}`}>{r.function_id}</Link> ({r.status.toLowerCase()})
                  </span>
                ))
              ) : e.internal ? (
                <span className="muted" data-testid="internal-event">
                  {e.internal}
                </span>
              ) : (
                <>
                  none
                  {e.no_run_reason ? <span className="muted"> — {e.no_run_reason}</span> : null}
                </>
              )}
              {e.job_id ? (
                <>
                  {" · "}
                  <Link href={`/jobs/${e.job_id}`}>job {shortJobId(e.job_id)}</Link>
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
        <code>{e.name}</code> <span className="muted">· {e.id}</span> <Link href={`/events/${encodeURIComponent(e.id)}`}>Open</Link>
      </h3>
      <EventDataBody event={e} />
    </section>
  );
}

/** An event's data as JSON, or the first 64 KB of a larger one, saying so (the list's panel and the event's page). */
export function EventDataBody({ event }: { event: { bytes: number; preview: string | null; data: unknown } }) {
  return (
    <>
      {event.preview !== null ? <p className="notice">{formatBytes(event.bytes)}: the first 64 KB are shown.</p> : null}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: long data scrolls; keyboard users need focus to scroll it */}
      <pre tabIndex={0} data-testid="event-data">
        {event.preview ?? JSON.stringify(event.data, null, 2)}
      </pre>
    </>
  );
}
