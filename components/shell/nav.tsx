"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
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
function FailedBadge() {
  const trpc = useTRPC();
  const stats = useQuery(trpc.job.stats.queryOptions());
  const n = stats.data?.jobs.unacknowledgedFailures ?? 0;
  if (!n) return null;
  return (
    <span className="badge count" data-testid="failed-badge">
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
  return (
    <nav className="nav" aria-label="Console">
      <Link href="/" className="brand">
        Jobdeck
      </Link>
      {LINKS.filter((l) => l.href !== "/jobs/new" || role !== "viewer").map((l) => (
        <Link key={l.href} href={l.href} className="link" aria-current={current(l.href) ? "page" : undefined}>
          <span>{l.label}</span>
          {l.href === "/jobs" ? <FailedBadge /> : null}
        </Link>
      ))}
      <div className="who">{identity}</div>
      <LiveJobUpdates />
    </nav>
  );
}
