"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import { JOB_STATUSES } from "@/jobs/status";
import { BulkConfirm, BulkOutcome } from "../bulk-confirm";
import { CursorPager } from "../cursor-pager";
import { FilterForm, isRange, RANGES, RangeField, SearchField, SelectField } from "../filter-form";
import { shortJobId } from "../ids";
import { ListTable } from "../list-table";
import { LoadError } from "../load-state";
import { ReadOnlyNote, useRole } from "../shell/use-role";
import { useDebounced, useSortedRows } from "../sortable";
import { TableHead } from "../table-head";
import { type RouterOutputs, useTRPC } from "../trpc";
import { useUrlState } from "../url-state";
import { When } from "../when";
import { formatDuration } from "./format";
import { StatusBadge } from "./status-badge";

const STATUSES = JOB_STATUSES;
type Status = (typeof STATUSES)[number];
const PAGE = 25;

type BulkAction = "retry" | "cancel" | "acknowledge";
/** How each bulk action reads in the buttons, the confirmation and the outcome. */
const VERBS: Record<BulkAction, { verb: string; done: string; cannot: string; noun: string }> = {
  retry: { verb: "Retry", done: "Retried", cannot: "cannot be retried", noun: "job" },
  cancel: { verb: "Cancel", done: "Cancelled", cannot: "cannot be cancelled", noun: "job" },
  acknowledge: { verb: "Acknowledge", done: "Acknowledged", cannot: "are not failures waiting to be acknowledged", noun: "failure" },
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
  priority: (a, b) => a.priority - b.priority,
};

/** Filters and sort are in the URL (`?status=FAILED&type=demo-task&tag=nightly&range=24h&q=…&sort=duration&dir=asc`). */
export function JobsList() {
  const { canAct, role } = useRole();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [url, setUrl] = useUrlState(["status", "type", "tag", "range", "q", "sort", "dir"] as const);
  const status: Status | "" = STATUSES.includes(url.status as Status) ? (url.status as Status) : "";
  const setStatus = (v: Status | "") => setUrl({ status: v });
  const type = url.type;
  const setType = (v: string) => setUrl({ type: v });
  const range = isRange(url.range) ? url.range : undefined;
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
  const rangeFrom = useMemo(() => (range ? new Date(Date.now() - RANGES[range]) : undefined), [range]);
  const filter = useMemo(
    () => ({
      ...(status ? { status } : {}),
      ...(type ? { type } : {}),
      ...(url.tag.trim() ? { tag: url.tag.trim() } : {}),
      ...(text ? { q: text } : {}),
      ...(rangeFrom ? { createdFrom: rangeFrom } : {}),
    }),
    [status, type, url.tag, text, rangeFrom],
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
      <FilterForm label="Filter jobs">
        <SelectField
          label="Status"
          value={status}
          onChange={(v) => setStatus(v as Status | "")}
          options={STATUSES.map((st) => ({ value: st, label: st.toLowerCase() }))}
        />
        <SelectField
          label="Type"
          value={type}
          onChange={setType}
          options={(types.data ?? []).map((t) => ({ value: t.type, label: t.label }))}
        />
        <SearchField label="Tag" value={url.tag} onChange={(tag) => setUrl({ tag })} placeholder="e.g. nightly" />
        <RangeField value={url.range} onChange={(v) => setUrl({ range: v })} />
        <SearchField label="Payload contains" value={q} onChange={setQ} placeholder="e.g. an email or task id" />
        <span className="muted" aria-live="polite">
          {matching.data ? `${matching.data.count.toLocaleString("en")}${matching.data.capped ? "+" : ""} matching` : ""}
        </span>
      </FilterForm>

      {canAct ? (
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
      ) : role ? (
        <ReadOnlyNote what="jobs" />
      ) : null}

      {confirm ? (
        <BulkConfirm
          question={
            <>
              {VERBS[confirm].verb} {plural(count, VERBS[confirm].noun)}?{" "}
              <span className="muted">Selected jobs that {VERBS[confirm].cannot} are skipped.</span>
            </>
          }
          onKeep={() => setConfirm(null)}
        >
          <button type="button" onClick={() => run(confirm)}>
            {VERBS[confirm].verb} {plural(count, VERBS[confirm].noun)}
          </button>
        </BulkConfirm>
      ) : null}
      <BulkOutcome text={outcome} />

      {list.error ? <LoadError what="jobs" error={list.error} /> : null}
      <ListTable
        label="Jobs"
        columns={10}
        loading={list.isLoading}
        empty={
          items.length === 0 ? (
            <>
              No jobs match. <Link href="/jobs/new">Create one</Link>.
            </>
          ) : undefined
        }
        head={
          <TableHead
            leading={
              canAct ? (
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
              ) : (
                <span className="visually-hidden">Selection</span>
              )
            }
            sortHeader={sortable}
            columns={[
              "Job",
              { label: "Type", sort: "type" },
              { label: "Status", sort: "status" },
              { label: "Created", sort: "created" },
              "Finished",
              { label: "Duration", sort: "duration" },
              { label: "Attempt", sort: "attempt" },
              { label: "Priority", sort: "priority" },
              "Error",
            ]}
          />
        }
      >
        {items.map((job) => (
          <tr key={job.id} data-job-id={job.id}>
            <td>
              {canAct ? (
                <input
                  type="checkbox"
                  aria-label={`Select job ${shortJobId(job.id)}`}
                  checked={allMatching || selected.has(job.id)}
                  onChange={() => toggle(job.id)}
                />
              ) : null}
            </td>
            <td>
              <Link href={`/jobs/${job.id}`}>
                <code>{shortJobId(job.id)}</code>
              </Link>
              {job.idempotencyKey ? (
                <div className="muted key-line" title={`idempotency key ${job.idempotencyKey}`} data-testid="job-key">
                  key {job.idempotencyKey}
                </div>
              ) : null}
              {job.tags.length ? (
                <div className="tag-list">
                  {job.tags.map((t) => (
                    <Link key={t} href={`/jobs?${new URLSearchParams({ tag: t })}`} className="tag" title={`Jobs tagged ${t}`}>
                      #{t}
                    </Link>
                  ))}
                </div>
              ) : null}
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
            <td>{job.priority}</td>
            {/* Only a failure is an error; a cancellation's reason is not. */}
            <td className="error-cell">{job.status === "FAILED" && job.error ? `${job.error.name}: ${job.error.message}` : ""}</td>
          </tr>
        ))}
      </ListTable>
      <CursorPager cursors={cursors} setCursors={setCursors} next={list.data?.nextCursor} />
    </div>
  );
}
