"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import { BulkConfirm, BulkOutcome } from "../bulk-confirm";
import { CursorPager } from "../cursor-pager";
import { FilterForm, isRange, RANGES, RangeField, SearchField, SelectField } from "../filter-form";
import { shortJobId, shortRunId } from "../ids";
import { formatDuration } from "../jobs/format";
import { ListTable } from "../list-table";
import { LoadError } from "../load-state";
import { IfRole, useRole } from "../shell/use-role";
import { useDebounced, useSortedRows } from "../sortable";
import { TableHead } from "../table-head";
import { LIVE_MS, type RouterInputs, type RouterOutputs, useTRPC } from "../trpc";
import { useUrlState } from "../url-state";
import { When } from "../when";
import { RunStatus } from "./run-status";

type Run = RouterOutputs["run"]["list"]["runs"][number];
type ReplayPlan = RouterOutputs["run"]["replayFailed"];

/** The skipped runs' reasons, counted: "2 × an earlier attempt of a job this replay replays once". */
function skippedSummary(plan: ReplayPlan): string[] {
  const counts = new Map<string, number>();
  for (const s of plan.skipped) {
    // Reasons naming a job or run id are grouped by their wording up to the id.
    const reason = s.reason.replace(/ (job|run) [0-9A-Za-z-]{8,}$/, " $1 …");
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts].map(([reason, n]) => (n > 1 ? `${n} × ${reason}` : reason));
}
type Filter = RouterInputs["run"]["list"];

const STATUSES = ["queued", "running", "completed", "failed", "cancelled"] as const;
const KEYS = ["function", "status", "range", "q", "sort", "dir", "system"] as const;
const PAGE = 50;

const durationOf = (r: Run) =>
  r.run_started_at ? (r.ended_at ? Date.parse(r.ended_at) : Date.now()) - Date.parse(r.run_started_at) : null;

/** The sortable columns and how each orders a page of runs (the list itself comes newest first). */
const SORTS: Record<string, (a: Run, b: Run) => number> = {
  created: (a, b) => Date.parse(a.created_at ?? "") - Date.parse(b.created_at ?? ""),
  function: (a, b) => a.function_id.localeCompare(b.function_id),
  status: (a, b) => a.status.localeCompare(b.status),
  duration: (a, b) => (durationOf(a) ?? -1) - (durationOf(b) ?? -1),
};

/**
 * Every run of every function, job or not (crons, raw events, failure handlers): filters by function, status, time
 * and text in the event or output, kept in the URL; cursor pages; each run links to its page and to its job.
 */
export function RunsList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [url, setUrl] = useUrlState(KEYS);
  const [text, setText] = useState(url.q);
  const q = useDebounced(text.trim(), 300);
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [confirm, setConfirm] = useState<ReplayPlan | null>(null);
  // Runs picked by their checkboxes; `pickedPlan` is set while the confirmation is about them, not the filter.
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [pickedPlan, setPickedPlan] = useState<string[] | null>(null);
  const { canAct } = useRole();
  const [outcome, setOutcome] = useState<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the URL follows the debounced text only
  useEffect(() => {
    if (q !== url.q) setUrl({ q });
  }, [q]);

  // The range is fixed when the filter changes, so polling does not shift it every tick.
  const filter = useMemo<Omit<Filter, "cursor" | "limit">>(
    () => ({
      ...(url.function ? { functionId: url.function } : {}),
      ...(url.status && (STATUSES as readonly string[]).includes(url.status) ? { status: [url.status as (typeof STATUSES)[number]] } : {}),
      ...(isRange(url.range) ? { from: new Date(Date.now() - RANGES[url.range]) } : {}),
      ...(url.q ? { q: url.q } : {}),
      ...(url.system === "1" ? { includeSystem: true } : {}),
    }),
    [url.function, url.status, url.range, url.q, url.system],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter starts from the first page
  useEffect(() => {
    setCursors([undefined]);
    setOutcome(null);
    setPicked(new Set());
  }, [filter]);
  const cursor = cursors.at(-1);
  const functions = useQuery(trpc.system.functions.queryOptions());
  const list = useQuery(
    trpc.run.list.queryOptions({ ...filter, cursor, limit: PAGE }, { placeholderData: keepPreviousData, refetchInterval: LIVE_MS * 2 }),
  );
  const replayFailed = useMutation(
    trpc.run.replayFailed.mutationOptions({
      onSuccess: (r) => {
        setOutcome(
          `Replayed ${r.replayed} of ${r.matched} failed run${r.matched === 1 ? "" : "s"}${r.capped ? " (the first 1,000)" : ""}` +
            (r.skipped.length ? `; skipped ${r.skipped.length}: ${skippedSummary(r).join("; ")}.` : "."),
        );
        setConfirm(null);
        setPickedPlan(null);
        setPicked(new Set());
        void queryClient.invalidateQueries();
      },
      onError: (e) => setOutcome(e.message),
    }),
  );
  const preview = useMutation(
    trpc.run.replayFailed.mutationOptions({
      onSuccess: (r) => setConfirm(r),
      onError: (e) => setOutcome(e.message),
    }),
  );

  const { sorted: runs, header: sortButton } = useSortedRows(list.data?.runs ?? [], SORTS, url, setUrl, "created");
  const { status: _s, ...failedFilter } = filter;

  return (
    <div>
      <FilterForm label="Filter runs">
        <SelectField
          label="Function"
          value={url.function}
          onChange={(v) => setUrl({ function: v })}
          options={(functions.data?.functions ?? []).map((f) => ({ value: f.id, label: f.name }))}
        />
        <SelectField
          label="Status"
          value={url.status}
          onChange={(v) => setUrl({ status: v })}
          options={STATUSES.map((st) => ({ value: st, label: st }))}
        />
        <RangeField value={url.range} onChange={(v) => setUrl({ range: v })} />
        <SearchField label="Event or output contains" value={text} onChange={setText} placeholder="e.g. a task id or an email" />
        <label className="field" title="Schedules, failure and cancellation trackers, alert evaluation: functions no job stands behind">
          System runs
          <span>
            <input type="checkbox" checked={url.system === "1"} onChange={(e) => setUrl({ system: e.target.checked ? "1" : "" })} /> show
          </span>
        </label>
        <IfRole atLeast="member">
          <button
            type="button"
            className="secondary"
            disabled={preview.isPending}
            onClick={() => {
              setOutcome(null);
              setPickedPlan(null);
              preview.mutate({ ...failedFilter, preview: true });
            }}
          >
            Replay failed runs…
          </button>
          <button
            type="button"
            className="secondary"
            disabled={preview.isPending || picked.size === 0}
            onClick={() => {
              setOutcome(null);
              setPickedPlan([...picked]);
              preview.mutate({ runIds: [...picked], preview: true });
            }}
          >
            Replay {picked.size || ""} selected…
          </button>
        </IfRole>
      </FilterForm>
      {confirm !== null ? (
        <BulkConfirm
          question={
            pickedPlan
              ? confirm.toReplay === 0
                ? `Nothing to replay among the ${pickedPlan.length} selected run${pickedPlan.length === 1 ? "" : "s"}.`
                : `Replay ${confirm.toReplay} of the ${pickedPlan.length} selected run${pickedPlan.length === 1 ? "" : "s"}? A failed job replays once, as a new job.`
              : confirm.matched === 0
                ? "No failed runs match this filter."
                : confirm.toReplay === 0
                  ? `Nothing to replay: all ${confirm.matched} failed run${confirm.matched === 1 ? "" : "s"} matching this filter are skipped.`
                  : `Replay ${confirm.toReplay} of ${confirm.matched} failed run${confirm.matched === 1 ? "" : "s"} matching this filter? A failed job replays once, as a new job.`
          }
          detail={
            confirm.skipped.length ? (
              <ul aria-label="Skipped runs">
                {skippedSummary(confirm).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            ) : null
          }
          onKeep={() => setConfirm(null)}
          keepLabel={confirm.toReplay > 0 ? "Keep them" : "Close"}
        >
          {confirm.toReplay > 0 ? (
            <button
              type="button"
              disabled={replayFailed.isPending}
              onClick={() => replayFailed.mutate(pickedPlan ? { runIds: pickedPlan, preview: false } : { ...failedFilter, preview: false })}
            >
              Replay {confirm.toReplay} run{confirm.toReplay === 1 ? "" : "s"}
            </button>
          ) : null}
        </BulkConfirm>
      ) : null}
      <BulkOutcome text={outcome} />
      {list.error ? <LoadError what="runs" error={list.error} /> : null}
      <ListTable
        label="Runs"
        columns={canAct ? 9 : 8}
        loading={list.isLoading}
        empty={runs.length === 0 ? "No runs match." : undefined}
        head={
          <TableHead
            leading={canAct ? <span className="visually-hidden">Select</span> : undefined}
            sortHeader={sortButton}
            columns={[
              "Run",
              { label: "Function", sort: "function" },
              { label: "Status", sort: "status" },
              "Event",
              { label: "Created", sort: "created" },
              { label: "Duration", sort: "duration" },
              "Job",
              "Error",
            ]}
          />
        }
      >
        {runs.map((r) => (
          <tr key={r.run_id} data-run-id={r.run_id}>
            {canAct ? (
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select run ${shortRunId(r.run_id)}`}
                  checked={picked.has(r.run_id)}
                  onChange={() =>
                    setPicked((prev) => {
                      const next = new Set(prev);
                      if (next.has(r.run_id)) next.delete(r.run_id);
                      else next.add(r.run_id);
                      return next;
                    })
                  }
                />
              </td>
            ) : null}
            <td>
              <Link href={`/runs/${r.run_id}`}>
                <code>{shortRunId(r.run_id)}</code>
              </Link>
            </td>
            <td>{r.function_id}</td>
            <td>
              <RunStatus status={r.status} waiting={r.waiting} />
            </td>
            <td>
              <code>{r.event_name ?? "–"}</code>
            </td>
            <td>
              <When iso={r.created_at} />
            </td>
            <td>{formatDuration(durationOf(r))}</td>
            <td>{r.job_id ? <Link href={`/jobs/${r.job_id}`}>{shortJobId(r.job_id)}</Link> : <span className="muted">–</span>}</td>
            <td className="error-cell">{r.status === "Failed" ? errorText(r.error) : ""}</td>
          </tr>
        ))}
      </ListTable>
      <CursorPager cursors={cursors} setCursors={setCursors} next={list.data?.cursor} />
    </div>
  );
}

/** A failed run's error in one line: name and message. */
export function errorText(error: unknown): string {
  if (!error || typeof error !== "object") return error ? String(error) : "";
  const e = error as { name?: unknown; message?: unknown; error?: unknown };
  const message = typeof e.message === "string" ? e.message : typeof e.error === "string" ? e.error : JSON.stringify(error);
  return `${typeof e.name === "string" ? `${e.name}: ` : ""}${message}`.slice(0, 160);
}
