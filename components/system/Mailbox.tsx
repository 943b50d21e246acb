"use client";

import { useQuery } from "@tanstack/react-query";
import { formatTime } from "../jobs/format";
import { LIVE_MS, useTRPC } from "../trpc";

/** The local mailbox: where email jobs deliver when no SMTP server is configured. */
export function Mailbox() {
  const trpc = useTRPC();
  const mail = useQuery(trpc.mailbox.list.queryOptions(undefined, { refetchInterval: LIVE_MS }));
  if (mail.isLoading) return <div className="skeleton" style={{ height: "6rem" }} aria-busy="true" />;
  if (mail.error) return <p className="alert">Could not load the mailbox: {mail.error.message}</p>;
  if (!mail.data?.length) return <p className="muted">No messages. Email jobs deliver here while SMTP_URL is not set.</p>;
  return (
    <ul style={{ listStyle: "none", padding: 0 }}>
      {mail.data.map((m) => (
        <li key={m.id} className="panel" data-message-to={m.to}>
          <div className="row" style={{ justifyContent: "space-between" }}>
            <strong>{m.subject}</strong>
            <span className="muted">{formatTime(String(m.createdAt))}</span>
          </div>
          <div className="muted">
            From {m.from} to {m.to}
          </div>
          <pre style={{ whiteSpace: "pre-wrap", marginTop: "0.5rem" }}>{m.text}</pre>
        </li>
      ))}
    </ul>
  );
}
