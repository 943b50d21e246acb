"use client";

import { useQuery } from "@tanstack/react-query";
import { LoadError, Loading } from "../load-state";
import { LIVE_MS, useTRPC } from "../trpc";
import { When } from "../when";

/** The local mailbox: where email jobs deliver when no SMTP server is configured. */
export function Mailbox() {
  const trpc = useTRPC();
  const mail = useQuery(trpc.mailbox.list.queryOptions(undefined, { refetchInterval: LIVE_MS }));
  if (mail.isLoading) return <Loading height="6rem" label="the mailbox" />;
  if (mail.error) return <LoadError what="the mailbox" error={mail.error} />;
  if (!mail.data?.length) return <p className="muted">No messages. Email jobs deliver here while SMTP_URL is not set.</p>;
  return (
    <ul style={{ listStyle: "none", padding: 0 }}>
      {mail.data.map((m) => (
        <li key={m.id} className="panel" data-message-to={m.to}>
          <div className="row" style={{ justifyContent: "space-between", flexWrap: "wrap", gap: "0.25rem 1rem" }}>
            <strong style={{ overflowWrap: "anywhere", minWidth: 0 }}>{m.subject}</strong>
            <When iso={String(m.createdAt)} />
          </div>
          <div className="muted" style={{ overflowWrap: "anywhere" }}>
            From {m.from} to {m.to}
          </div>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a long message scrolls; keyboard users need focus to scroll it */}
          <pre tabIndex={0} style={{ whiteSpace: "pre-wrap", marginTop: "0.5rem" }}>
            {m.text}
          </pre>
        </li>
      ))}
    </ul>
  );
}
