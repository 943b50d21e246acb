"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import { LoadError } from "../load-state";
import { ScrollRegion } from "../scroll-region";
import { useTRPC } from "../trpc";
import { formatDuration, formatTime } from "./format";
import { StatusBadge } from "./status-badge";

const STATUSES = ["QUEUED", "RUNNING", "WAITING", "COMPLETED", "FAILED", "CANCELLED"] as const;
type Status = (typeof STATUSES)[number];
const RANGES = { any: 0, "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 } as const;
const PAGE = 25;

type BulkAction = "retry" | "cancel" | "acknowledge";
/** How each bulk action reads in the buttons, the confirmation and the outcome. */
const VERBS: Record<BulkAction, { verb: string; done: string; cannot: string; noun: string }> = {
  retry: { verb: "Retry", done: "Retried", cannot: "cannot be retried", noun: "job" },
  cancel: { verb: "Cancel", done: "Cancelled", cannot: "cannot be cancelled", noun: "job" },
  acknowledge: { verb: "Acknowledge", done: "Acknowledged", cannot: "are not unacknowledged failures", noun: "failure" },
};
const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/**
 * The jobs list: filters (status, type, time range, text in the payload), cursor pages, live refresh, and bulk
 * retry/cancel/acknowledge of the selected jobs or of everything matching the filter, after a confirmation with the count.
 */
export function JobsList({ initialStatus }: { initialStatus?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status | "">(STATUSES.includes(initialStatus as Status) ? (initialStatus as Status) : "");
  const [type, setType] = useState("");
  const [q, setQ] = useState("");
  const [range, setRange] = useState<keyof typeof RANGES>("any");
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [confirm, setConfirm] = useState<BulkAction | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const text = useDebounced(q.trim(), 300);

  // The range is fixed when chosen, so polling does not shift it every tick.
  const [rangeFrom, setRangeFrom] = useState<Date | undefined>(undefined);
  const filter = useMemo(
    () => ({
      ...(status ? { status } : {}),
      ...(type ? { type } : {}),
      ...(text ? { q: text } : {}),
      ...(rangeFrom ? { createdFrom: rangeFrom } : {}),
    }),
    [status, type, text, rangeFrom],
  );
  const cursor = cursors.at(-1);
  // A new filter starts from the first page with nothing selected.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset exactly when the filter changes
  useEffect(() => {
    setCursors([undefined]);
    setSelected(new Set());
    setAllMatching(false);
  }, [filter]);

  const types = useQuery(trpc.job.types.queryOptions());
  const list = useQuery(trpc.job.list.queryOptions({ ...filter, limit: PAGE, cursor }, { placeholderData: keepPreviousData }));
  const matching = useQuery(trpc.job.count.queryOptions(filter));
  const bulk = useMutation(
    trpc.job.bulk.mutationOptions({
      onSuccess: (r) => {
        setOutcome(
          `${VERBS[r.action].done} ${r.done} of ${r.matched}${r.skipped.length ? `; skipped ${r.skipped.length}: ${r.skipped[0]?.reason}` : ""}`,
        );
        setSelected(new Set());
        setAllMatching(false);
        void queryClient.invalidateQueries();
      },
      onError: (e) => setOutcome(e.message),
    }),
  );

  const items = list.data?.items ?? [];
  const pageIds = items.map((j) => j.id);
  const pageAllSelected = pageIds.length > 0 && pageIds.every((id) => selected.has(id));
  const count = allMatching ? (matching.data?.count ?? 0) : selected.size;

  const toggle = (id: string) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      setAllMatching(false);
      return next;
    });

  const run = (action: BulkAction) => {
    setConfirm(null);
    bulk.mutate(allMatching ? { action, filter } : { action, ids: [...selected] });
  };

  return (
    <div>
      <form className="toolbar" aria-label="Filter jobs" onSubmit={(e) => e.preventDefault()}>
        <label className="field">
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as Status | "")}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Type
          <select value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">Any</option>
            {types.data?.map((t) => (
              <option key={t.type} value={t.type}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Created
          <select
            value={range}
            onChange={(e) => {
              const r = e.target.value as keyof typeof RANGES;
              setRange(r);
              setRangeFrom(RANGES[r] ? new Date(Date.now() - RANGES[r]) : undefined);
            }}
          >
            <option value="any">Any time</option>
            <option value="1h">Last hour</option>
            <option value="24h">Last 24 hours</option>
            <option value="7d">Last 7 days</option>
          </select>
        </label>
        <label className="field">
          Payload contains
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="e.g. an email or task id" />
        </label>
        <span className="muted" aria-live="polite">
          {matching.data ? `${matching.data.count.toLocaleString("en")}${matching.data.capped ? "+" : ""} matching` : ""}
        </span>
      </form>

      <div className="row" style={{ marginBottom: "0.75rem", minHeight: "2.2rem" }}>
        <span aria-live="polite">
          {count ? `${count} selected${allMatching ? " (all matching the filter)" : ""}` : "Select jobs for bulk actions"}
        </span>
        {pageAllSelected && !allMatching && (matching.data?.count ?? 0) > pageIds.length ? (
          <button type="button" className="secondary" onClick={() => setAllMatching(true)}>
            Select all {matching.data?.count} matching
          </button>
        ) : null}
        <button type="button" disabled={!count || bulk.isPending} onClick={() => setConfirm("retry")}>
          Retry selected
        </button>
        <button type="button" className="danger" disabled={!count || bulk.isPending} onClick={() => setConfirm("cancel")}>
          Cancel selected
        </button>
        <button type="button" className="secondary" disabled={!count || bulk.isPending} onClick={() => setConfirm("acknowledge")}>
          Acknowledge failures
        </button>
      </div>

      {confirm ? (
        <div className="dialog panel" role="alertdialog" aria-modal="false" aria-labelledby="confirm-title">
          <p id="confirm-title">
            {VERBS[confirm].verb} {plural(count, VERBS[confirm].noun)}?{" "}
            <span className="muted">Selected jobs that {VERBS[confirm].cannot} are skipped.</span>
          </p>
          <div className="row">
            <button type="button" onClick={() => run(confirm)}>
              {VERBS[confirm].verb} {plural(count, VERBS[confirm].noun)}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirm(null)}>
              Keep them
            </button>
          </div>
        </div>
      ) : null}
      {outcome ? (
        <p className="notice" role="status">
          {outcome}
        </p>
      ) : null}

      {list.error ? <LoadError what="jobs" error={list.error} /> : null}
      <ScrollRegion label="Jobs (scrolls)">
        <table aria-label="Jobs" aria-busy={list.isLoading}>
          <thead>
            <tr>
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label="Select all jobs on this page"
                  checked={pageAllSelected}
                  onChange={() =>
                    setSelected((prev) => {
                      setAllMatching(false);
                      const next = new Set(prev);
                      for (const id of pageIds) {
                        if (pageAllSelected) next.delete(id);
                        else next.add(id);
                      }
                      return next;
                    })
                  }
                />
              </th>
              <th scope="col">Job</th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Started</th>
              <th scope="col">Finished</th>
              <th scope="col">Duration</th>
              <th scope="col">Attempt</th>
            </tr>
          </thead>
          <tbody>
            {list.isLoading
              ? Array.from({ length: 5 }, (_, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
                  <tr key={i}>
                    <td colSpan={9}>
                      <div className="skeleton" />
                    </td>
                  </tr>
                ))
              : items.map((job) => (
                  <tr key={job.id} data-job-id={job.id}>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Select job ${job.id.slice(0, 8)}`}
                        checked={allMatching || selected.has(job.id)}
                        onChange={() => toggle(job.id)}
                      />
                    </td>
                    <td>
                      <Link href={`/jobs/${job.id}`}>
                        <code>{job.id.slice(0, 8)}</code>
                      </Link>
                    </td>
                    <td>{job.type}</td>
                    <td>
                      <StatusBadge status={job.status} />
                    </td>
                    <td>{formatTime(job.createdAt)}</td>
                    <td>{formatTime(job.startedAt)}</td>
                    <td>{formatTime(job.finishedAt)}</td>
                    <td>{formatDuration(job.durationMs)}</td>
                    <td>{job.attempt}</td>
                  </tr>
                ))}
            {!list.isLoading && items.length === 0 ? (
              <tr>
                <td colSpan={9} className="muted">
                  No jobs match. <Link href="/jobs/new">Create one</Link>.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </ScrollRegion>
      <nav className="row" aria-label="Pages" style={{ marginTop: "0.75rem" }}>
        <button type="button" className="secondary" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous page
        </button>
        <span className="muted">Page {cursors.length}</span>
        <button
          type="button"
          className="secondary"
          disabled={!list.data?.nextCursor}
          onClick={() => list.data?.nextCursor && setCursors((c) => [...c, list.data?.nextCursor ?? undefined])}
        >
          Next page
        </button>
      </nav>
    </div>
  );
}
