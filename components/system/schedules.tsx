"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { formatTime } from "../jobs/format";
import { ListTable } from "../list-table";
import { LoadError } from "../load-state";
import { useRole } from "../shell/use-role";
import { TableHead } from "../table-head";
import { LIVE_MS, useTRPC } from "../trpc";
import { When } from "../when";

/** A time as the console shows it, in the schedule's own time zone too when that is not UTC. */
function ZonedTime({ iso, timeZone }: { iso: string; timeZone: string }) {
  const local =
    timeZone === "UTC"
      ? null
      : new Date(iso).toLocaleString("en-GB", { timeZone, day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  return (
    <span>
      <When iso={iso} />
      {local ? (
        <span className="muted">
          {" "}
          ({local} {timeZone})
        </span>
      ) : null}
    </span>
  );
}

/** Every cron of every function: the next times it fires in its time zone, its last run and outcome, run now, pause. */
export function Schedules() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<string | null>(null);
  const schedules = useQuery(trpc.system.schedules.queryOptions(undefined, { refetchInterval: LIVE_MS * 4 }));
  const { operator } = useRole();
  const done = (text: string) => {
    setMessage(text);
    void queryClient.invalidateQueries();
  };
  const runNow = useMutation(
    trpc.system.invoke.mutationOptions({
      onSuccess: (_r, v) => done(`${v.functionId} started now.`),
      onError: (e) => setMessage(e.message),
    }),
  );
  const pause = useMutation(
    trpc.system.setPaused.mutationOptions({
      onSuccess: (f) => done(`${f.id} ${f.paused ? "paused: its schedule does not fire until resumed" : "resumed"}.`),
      onError: (e) => setMessage(e.message),
    }),
  );
  const rows = schedules.data ?? [];
  return (
    <div>
      <p className="muted">
        Times are shown in your browser&apos;s time zone; a schedule in another zone shows its own in brackets.
        {operator ? "" : " Running a schedule now and pausing it are an operator's actions: schedules run for the whole installation."}
      </p>
      {message ? (
        <p className="notice" role="status">
          {message}
        </p>
      ) : null}
      {schedules.error ? <LoadError what="schedules" error={schedules.error} /> : null}
      <ListTable
        label="Schedules"
        columns={5}
        loading={schedules.isLoading}
        empty={schedules.data && rows.length === 0 ? "No function runs on a schedule." : undefined}
        head={<TableHead columns={["Function", "Schedule", "Next runs", "Last run", "Actions"]} />}
      >
        {rows.map((s) => (
          <tr key={`${s.functionId}|${s.cron}`} data-schedule={s.functionId}>
            <td style={{ whiteSpace: "normal", overflowWrap: "anywhere" }}>
              <code>{s.functionId}</code>{" "}
              {s.paused ? (
                <span className="badge paused" data-testid="paused-badge">
                  paused
                </span>
              ) : null}
            </td>
            <td>
              <code>{s.cron}</code>
              <div className="muted" style={{ fontSize: "0.8rem" }}>
                {s.timeZone}
              </div>
            </td>
            <td style={{ whiteSpace: "normal" }}>
              {s.problem ? (
                <span className="error">{s.problem}</span>
              ) : s.paused ? (
                <span className="muted">none while paused (next would be {s.next[0] ? formatTime(s.next[0]) : "–"})</span>
              ) : (
                <ol style={{ margin: 0, paddingLeft: "1.1rem" }} data-testid="next-runs">
                  {s.next.map((n) => (
                    <li key={n}>
                      <ZonedTime iso={n} timeZone={s.timeZone} />
                    </li>
                  ))}
                </ol>
              )}
            </td>
            <td style={{ whiteSpace: "normal" }}>
              {s.lastRun ? (
                <>
                  <Link href={`/runs/${s.lastRun.runId}`} data-testid="last-run">
                    {s.lastRun.status.toLowerCase()}
                  </Link>{" "}
                  <When iso={s.lastRun.endedAt ?? s.lastRun.startedAt} />
                </>
              ) : (
                <span className="muted">{operator ? "not run yet" : "an operator's to see"}</span>
              )}
            </td>
            <td>
              {operator ? (
                <div className="row" style={{ gap: "0.4rem" }}>
                  <button type="button" disabled={s.paused || runNow.isPending} onClick={() => runNow.mutate({ functionId: s.functionId })}>
                    Run now<span className="visually-hidden"> {s.functionId}</span>
                  </button>
                  <button
                    type="button"
                    className="secondary"
                    onClick={() => pause.mutate({ id: s.functionId, paused: !s.paused })}
                    aria-label={`${s.paused ? "Resume" : "Pause"} ${s.functionId}`}
                  >
                    {s.paused ? "Resume" : "Pause"}
                  </button>
                </div>
              ) : (
                <span className="muted">{s.paused ? "paused" : "active"}</span>
              )}
            </td>
          </tr>
        ))}
      </ListTable>
    </div>
  );
}
