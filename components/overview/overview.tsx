"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { shortJobId } from "../ids";
import { StatusBadge } from "../jobs/status-badge";
import { LoadError } from "../load-state";
import { ScrollRegion } from "../scroll-region";
import { TableHead } from "../table-head";
import { useTRPC } from "../trpc";
import { When } from "../when";
import { Charts } from "./charts";

const ORDER = ["queued", "running", "waiting", "completed", "failed", "cancelled"] as const;

/** Counts by status, backlog per job type and the latest failures with their errors, all live. */
export function Overview() {
  const trpc = useTRPC();
  const stats = useQuery(trpc.job.stats.queryOptions());
  const failures = useQuery(trpc.job.list.queryOptions({ status: "FAILED", limit: 5 }));
  if (stats.error) return <LoadError what="statistics" error={stats.error} />;
  const s = stats.data;
  return (
    <div>
      <section aria-label="Jobs by status" className="cards">
        {ORDER.map((k) => (
          <Link key={k} href={`/jobs?status=${k.toUpperCase()}`} className="card" style={{ textDecoration: "none", color: "inherit" }}>
            <div className="n" data-testid={`count-${k}`}>
              {s ? s.jobs[k] : "…"}
            </div>
            <div className="l">{k}</div>
          </Link>
        ))}
      </section>

      <Charts />

      <h2>Backlog per job type</h2>
      <ScrollRegion label="Backlog per job type (scrolls)">
        <table aria-label="Backlog per job type">
          <TableHead columns={["Type", "Queued", "Running", "Waiting", "Completed", "Failed"]} />
          <tbody>
            {s && Object.keys(s.byType).length === 0 ? (
              <tr>
                <td colSpan={6} className="muted">
                  No jobs yet. <Link href="/jobs/new">Create one</Link>.
                </td>
              </tr>
            ) : null}
            {Object.entries(s?.byType ?? {}).map(([type, c]) => (
              <tr key={type}>
                <td>{type}</td>
                <td>{c.queued}</td>
                <td>{c.running}</td>
                <td>{c.waiting}</td>
                <td>{c.completed}</td>
                <td>{c.failed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>

      <h2>Recent failures</h2>
      {failures.error ? <LoadError what="recent failures" error={failures.error} /> : null}
      {failures.data?.items.length === 0 ? <p className="muted">No failures.</p> : null}
      <ul style={{ paddingLeft: "1.2rem" }}>
        {failures.data?.items.map((j) => (
          <li key={j.id} style={{ marginBottom: "0.4rem" }}>
            <Link href={`/jobs/${j.id}`}>
              <code>{shortJobId(j.id)}</code>
            </Link>{" "}
            {j.type} <StatusBadge status={j.status} /> <When iso={j.finishedAt} />
            <div className="muted">{j.error?.message}</div>
          </li>
        ))}
      </ul>
    </div>
  );
}
