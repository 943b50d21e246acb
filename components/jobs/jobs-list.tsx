"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import { JOB_STATUSES } from "@/jobs/status";
import { CursorPager } from "../cursor-pager";
import { LoadError } from "../load-state";
import { ScrollRegion } from "../scroll-region";
import { useDebounced, useSortedRows } from "../sortable";
import { type RouterOutputs, useTRPC } from "../trpc";
import { useUrlState } from "../url-state";
import { When } from "../when";
import { formatDuration } from "./format";
import { StatusBadge } from "./status-badge";

const STATUSES = JOB_STATUSES;
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

/**
 * The jobs list: filters (status, type, time range, text in the payload), cursor pages, live refresh, and bulk
 * retry/cancel/acknowledge of the selected jobs or of everything matching the filter, after a confirmation with the count.
 */
type ListedJob = RouterOutputs["job"]["list"]["items"][number];

/** The sortable columns and how each orders a page (the list itself comes newest first, in keyset pages). */
const SORTS: Record<string, (a: ListedJob, b: ListedJob) => number> = {
  created: (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt),
  type: (a, b) => a.type.localeCompare(b.type),
  status: (a, b) => a.status.localeCompare(b.status),
  duration: (a, b) => (a.durationMs ?? -1) - (b.durationMs ?? -1),
  attempt: (a, b) => a.attempt - b.attempt,
};

/** Filters and sort are in the URL (`?status=FAILED&type=demo-task&range=24h&q=…&sort=duration&dir=asc`). */
export function JobsList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [url, setUrl] = useUrlState(["status", "type", "range", "q", "sort", "dir"] as const);
  const status: Status | "" = STATUSES.includes(url.status as Status) ? (url.status as Status) : "";
  const setStatus = (v: Status | "") => setUrl({ status: v });
  const type = url.type;
  const setType = (v: string) => setUrl({ type: v });
  const range = (url.range in RANGES ? url.range : "any") as keyof typeof RANGES;
  const [q, setQ] = useState(url.q);
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [confirm, setConfirm] = useState<BulkAction | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const text = useDebounced(q.trim(), 300);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the URL follows the debounced text only
  useEffect(() => {
    if (text !== url.q) setUrl({ q: text });
  }, [text]);

  // The range is fixed when chosen (or loaded), so polling does not shift it every tick.
  const rangeFrom = useMemo(() => (RANGES[range] ? new Date(Date.now() - RANGES[range]) : undefined), [range]);
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

  const { sorted: items, header: sortable } = useSortedRows(list.data?.items ?? [], SORTS, url, setUrl, "created");
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
          <select value={range} onChange={(e) => setUrl({ range: e.target.value === "any" ? "" : e.target.value })}>
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
              {sortable("type", "Type")}
              {sortable("status", "Status")}
              {sortable("created", "Created")}
              <th scope="col">Finished</th>
              {sortable("duration", "Duration")}
              {sortable("attempt", "Attempt")}
              <th scope="col">Error</th>
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
                    <td>
                      <When iso={job.createdAt} />
                    </td>
                    <td>
                      <When iso={job.finishedAt} />
                    </td>
                    <td>{formatDuration(job.durationMs)}</td>
                    <td>{job.attempt}</td>
                    {/* Only a failure is an error; a cancellation's reason is not. */}
                    <td className="error-cell">{job.status === "FAILED" && job.error ? `${job.error.name}: ${job.error.message}` : ""}</td>
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
      <CursorPager cursors={cursors} setCursors={setCursors} next={list.data?.nextCursor} />
    </div>
  );
}
