"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import { CursorPager } from "../cursor-pager";
import { formatDuration } from "../jobs/format";
import { LoadError } from "../load-state";
import { ScrollRegion } from "../scroll-region";
import { useDebounced, useSortedRows } from "../sortable";
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
const RANGES: Record<string, number> = { "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 };
const KEYS = ["function", "status", "range", "q", "sort", "dir"] as const;
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
      ...(RANGES[url.range] ? { from: new Date(Date.now() - (RANGES[url.range] ?? 0)) } : {}),
      ...(url.q ? { q: url.q } : {}),
    }),
    [url.function, url.status, url.range, url.q],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter starts from the first page
  useEffect(() => {
    setCursors([undefined]);
    setOutcome(null);
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
      <form className="toolbar" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label className="field">
          Function
          <select value={url.function} onChange={(e) => setUrl({ function: e.target.value })}>
            <option value="">Any</option>
            {functions.data?.functions.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Status
          <select value={url.status} onChange={(e) => setUrl({ status: e.target.value })}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Created
          <select value={url.range} onChange={(e) => setUrl({ range: e.target.value })}>
            <option value="">Any time</option>
            <option value="1h">Last hour</option>
            <option value="24h">Last 24 hours</option>
            <option value="7d">Last 7 days</option>
          </select>
        </label>
        <label className="field">
          Event or output contains
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="e.g. a task id or an email" />
        </label>
        <button
          type="button"
          className="secondary"
          disabled={preview.isPending}
          onClick={() => {
            setOutcome(null);
            preview.mutate({ ...failedFilter, preview: true });
          }}
        >
          Replay failed runs…
        </button>
      </form>
      {confirm !== null ? (
        <div className="dialog panel" role="alertdialog" aria-modal="false" aria-labelledby="replay-title">
          <p id="replay-title">
            {confirm.matched === 0
              ? "No failed runs match this filter."
              : confirm.toReplay === 0
                ? `Nothing to replay: all ${confirm.matched} failed run${confirm.matched === 1 ? "" : "s"} matching this filter are skipped.`
                : `Replay ${confirm.toReplay} of ${confirm.matched} failed run${confirm.matched === 1 ? "" : "s"} matching this filter? A failed job replays once, as a new job.`}
          </p>
          {confirm.skipped.length ? (
            <ul aria-label="Skipped runs">
              {skippedSummary(confirm).map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          ) : null}
          <div className="row">
            {confirm.toReplay > 0 ? (
              <button
                type="button"
                disabled={replayFailed.isPending}
                onClick={() => replayFailed.mutate({ ...failedFilter, preview: false })}
              >
                Replay {confirm.toReplay} run{confirm.toReplay === 1 ? "" : "s"}
              </button>
            ) : null}
            <button type="button" className="secondary" onClick={() => setConfirm(null)}>
              {confirm.toReplay > 0 ? "Keep them" : "Close"}
            </button>
          </div>
        </div>
      ) : null}
      {outcome ? (
        <p className="notice" role="status">
          {outcome}
        </p>
      ) : null}
      {list.error ? <LoadError what="runs" error={list.error} /> : null}
      <ScrollRegion label="Runs (scrolls)">
        <table aria-label="Runs" aria-busy={list.isLoading}>
          <thead>
            <tr>
              <th scope="col">Run</th>
              {sortButton("function", "Function")}
              {sortButton("status", "Status")}
              <th scope="col">Event</th>
              {sortButton("created", "Created")}
              {sortButton("duration", "Duration")}
              <th scope="col">Job</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.run_id} data-run-id={r.run_id}>
                <td>
                  <Link href={`/runs/${r.run_id}`}>
                    <code>{r.run_id.slice(-10)}</code>
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
                <td>{r.job_id ? <Link href={`/jobs/${r.job_id}`}>{r.job_id.slice(0, 8)}</Link> : <span className="muted">–</span>}</td>
                <td className="error-cell">{r.status === "Failed" ? errorText(r.error) : ""}</td>
              </tr>
            ))}
            {!list.isLoading && runs.length === 0 ? (
              <tr>
                <td colSpan={8} className="muted">
                  No runs match.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </ScrollRegion>
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
