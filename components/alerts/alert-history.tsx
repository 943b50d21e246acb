"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { CursorPager } from "../cursor-pager";
import { ListTable } from "../list-table";
import { LoadError } from "../load-state";
import { TableHead } from "../table-head";
import { useTRPC } from "../trpc";
import { useUrlState } from "../url-state";
import { When } from "../when";

/** When each rule started firing and resolved, what it measured, and whether (and when) it was told. */
export function AlertHistory() {
  const trpc = useTRPC();
  const [url] = useUrlState(["rule"] as const);
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const events = useQuery(
    trpc.alerts.history.queryOptions(
      { ...(url.rule ? { ruleId: url.rule } : {}), cursor: cursors.at(-1), limit: 50 },
      { placeholderData: keepPreviousData, refetchInterval: 15_000 },
    ),
  );
  return (
    <div>
      {url.rule ? (
        <p>
          One rule's history. <Link href="/alerts/history">Every rule</Link>
        </p>
      ) : null}
      {events.error ? <LoadError what="the alert history" error={events.error} /> : null}
      <ListTable
        label="Alert history"
        columns={5}
        loading={events.isLoading}
        empty={events.data && events.data.items.length === 0 ? "No rule has fired yet." : undefined}
        head={<TableHead columns={["When", "Rule", "What happened", "Measured", "Notified"]} />}
      >
        {events.data?.items.map((e) => (
          <tr key={e.id} data-alert-event={e.kind}>
            <td>
              <When iso={e.at} />
            </td>
            <td>{e.ruleName}</td>
            <td>
              <span className={`status ${e.kind === "FIRING" ? "FAILED" : "COMPLETED"}`}>{e.kind === "FIRING" ? "Fired" : "Resolved"}</span>{" "}
              <span style={{ whiteSpace: "normal" }}>{e.message.replace(/^(FIRING|RESOLVED): [^:]+: /, "")}</span>
            </td>
            <td>
              {e.value} <span className="muted">(threshold {e.threshold})</span>
            </td>
            <td>
              {e.snoozed ? (
                <span className="muted">no: snoozed</span>
              ) : e.notifiedAt ? (
                <When iso={e.notifiedAt} />
              ) : e.notifyError ? (
                <span className="error">failed: {e.notifyError}</span>
              ) : (
                <span className="muted">sending…</span>
              )}
            </td>
          </tr>
        ))}
      </ListTable>
      <CursorPager cursors={cursors} setCursors={setCursors} next={events.data?.cursor} labels={["Newer", "Older"]} showPage={false} />
    </div>
  );
}
