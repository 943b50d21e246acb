"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { type ReactNode, useEffect, useState } from "react";
import { useTRPC } from "../trpc";
import { LiveJobUpdates } from "./live-job-updates";
import { useRole } from "./use-role";

const LINKS = [
  { href: "/", label: "Overview" },
  { href: "/jobs", label: "Jobs" },
  { href: "/jobs/new", label: "New job" },
  { href: "/runs", label: "Runs" },
  { href: "/logs", label: "Logs" },
  { href: "/events", label: "Events" },
  { href: "/functions", label: "Functions" },
  { href: "/schedules", label: "Schedules" },
  { href: "/apps", label: "Apps" },
  { href: "/mailbox", label: "Mailbox" },
  { href: "/alerts", label: "Alerts" },
  { href: "/audit", label: "Audit" },
  { href: "/settings", label: "Settings" },
];

/** Unacknowledged failures, refreshed live (LiveJobUpdates); loud on purpose. */
function FailedBadge({ testId = "failed-badge" }: { testId?: string }) {
  const trpc = useTRPC();
  const stats = useQuery(trpc.job.stats.queryOptions());
  const n = stats.data?.jobs.unacknowledgedFailures ?? 0;
  if (!n) return null;
  return (
    <span className="badge count" data-testid={testId}>
      {n}
      <span className="visually-hidden"> unacknowledged failed jobs</span>
    </span>
  );
}

export function Nav({ identity }: { identity: ReactNode }) {
  const path = usePathname();
  const { role } = useRole();
  const current = (href: string) =>
    href === "/"
      ? path === "/"
      : path === href ||
        (href === "/jobs" && /^\/jobs\/(?!new)/.test(path)) ||
        (href === "/runs" && path.startsWith("/runs/")) ||
        (href === "/alerts" && path.startsWith("/alerts/")) ||
        (href === "/events" && path.startsWith("/events/"));
  // On a phone the links fold behind a Menu button (about 200 px of them would precede any content); a link
  // followed closes the menu again.
  const [open, setOpen] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: closes on every navigation
  useEffect(() => setOpen(false), [path]);
  const here = LINKS.find((l) => current(l.href));
  return (
    <nav className="nav" aria-label="Console" data-open={open}>
      <div className="nav-head">
        <Link href="/" className="brand">
          Jobdeck
        </Link>
        <button
          type="button"
          className="secondary menu-toggle"
          aria-expanded={open}
          aria-controls="console-links"
          onClick={() => setOpen(!open)}
        >
          {open ? "Close" : "Menu"}
          {here && !open ? <span className="muted"> · {here.label}</span> : null}
          <FailedBadge testId="failed-badge-menu" />
        </button>
      </div>
      <div className="nav-links" id="console-links">
        {LINKS.filter((l) => l.href !== "/jobs/new" || role !== "viewer").map((l) => (
          <Link key={l.href} href={l.href} className="link" aria-current={current(l.href) ? "page" : undefined}>
            <span>{l.label}</span>
            {l.href === "/jobs" ? <FailedBadge /> : null}
          </Link>
        ))}
        <div className="who">{identity}</div>
      </div>
      <LiveJobUpdates />
    </nav>
  );
}
