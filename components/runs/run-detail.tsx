"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { ActionMessage } from "../action-message";
import { shortJobId, shortRunId } from "../ids";
import { CopyJson } from "../jobs/copy-json";
import { ErrorView, placeErrors } from "../jobs/error-view";
import { formatDuration } from "../jobs/format";
import { Loading } from "../load-state";
import { RerunFromStep } from "../rerun-from-step";
import { IfRole } from "../shell/use-role";
import { Card, TimeCards } from "../time-cards";
import { LIVE_MS, useTRPC } from "../trpc";
import { ReasonText } from "../when";
import { RunStatus } from "./run-status";
import { RunTrace } from "./trace";

const ENDED = new Set(["Completed", "Failed", "Cancelled"]);

/**
 * One run: status, timing, its trace on a time axis with log lines, the triggering event(s), output or error, the
 * runs it invoked or was invoked by, its job, and replay (same input, or from a chosen step).
 */
export function RunDetail({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const run = useQuery(
    trpc.run.byId.queryOptions({ runId }, { refetchInterval: (q) => (q.state.data && ENDED.has(q.state.data.status) ? false : LIVE_MS) }),
  );
  const [message, setMessage] = useState<{ text: string; href?: string } | null>(null);
  const status = run.data?.status;
  // biome-ignore lint/correctness/useExhaustiveDependencies: an outcome is stale once the status moves
  useEffect(() => setMessage(null), [status]);
  const replay = useMutation(
    trpc.run.replay.mutationOptions({
      onSuccess: (r) => {
        setMessage(
          r.jobId && !r.runId
            ? { text: "Replayed as a new job.", href: `/jobs/${r.jobId}` }
            : { text: "Replayed as a new run.", href: r.runId ? `/runs/${r.runId}` : r.jobId ? `/jobs/${r.jobId}` : undefined },
        );
        void queryClient.invalidateQueries();
      },
      onError: (e) => setMessage({ text: e.message }),
    }),
  );

  if (run.isLoading) return <Loading height="12rem" label="the run" />;
  if (run.error) {
    return (
      <div className="alert" role="alert">
        {run.error.data?.code === "NOT_FOUND" ? "No such run in your organization." : `Could not load the run: ${run.error.message}`}{" "}
        <Link href="/runs">Back to runs</Link>
      </div>
    );
  }
  const r = run.data;
  if (!r) return null;
  const steps = [...new Set(r.steps.filter((s) => s.kind === "step" && s.name).map((s) => s.name as string))];
  const started = r.run_started_at ? Date.parse(r.run_started_at) : null;
  const duration = started ? (r.ended_at ? Date.parse(r.ended_at) : Date.now()) - started : null;
  const failed = r.status === "Failed";
  // One error repeated over a step's retries is shown once, with the attempts it happened on.
  const errors = placeErrors(
    r.steps.filter((s) => s.error).map((s) => ({ id: s.id, error: s.error, label: `${s.name ?? s.kind} (try ${s.attempt + 1})` })),
    failed ? { error: r.error ?? r.output, label: "the run's error above" } : undefined,
  );

  return (
    <div>
      <div className="row" style={{ justifyContent: "space-between" }}>
        <h1>
          {r.function_id} <code style={{ fontSize: "0.9rem" }}>{r.run_id}</code>
        </h1>
        <RunStatus status={r.status} waiting={r.waiting} />
      </div>
      <TimeCards created={r.created_at} started={r.run_started_at} ended={r.ended_at} endedLabel="Ended">
        <Card label="Duration">
          <div>{formatDuration(duration)}</div>
        </Card>
        <Card label="Job">
          <div>{r.job_id ? <Link href={`/jobs/${r.job_id}`}>{shortJobId(r.job_id)}</Link> : <span className="muted">none</span>}</div>
        </Card>
        <Card label="Links">
          <div>
            {r.parent_run_id ? (
              <>
                invoked by <Link href={`/runs/${r.parent_run_id}`}>{shortRunId(r.parent_run_id)}</Link>
              </>
            ) : null}
            {r.replay_of ? (
              <>
                {" "}
                replay of <Link href={`/runs/${r.replay_of}`}>{shortRunId(r.replay_of)}</Link>
              </>
            ) : null}
            {!r.parent_run_id && !r.replay_of ? <span className="muted">–</span> : null}
          </div>
        </Card>
      </TimeCards>

      {r.predicted_start?.text ? (
        <p className="notice" data-testid="predicted-start">
          Predicted start: <ReasonText text={r.predicted_start.text} />
        </p>
      ) : null}
      {r.waiting?.reasons?.length ? (
        <ul data-testid="waiting-reasons">
          {r.waiting.reasons.map((w) => (
            <li key={w}>
              <ReasonText text={w} />
            </li>
          ))}
        </ul>
      ) : null}

      <IfRole atLeast="member">
        <div className="row" style={{ marginBottom: "1rem", minHeight: "2.4rem" }}>
          <button type="button" className="secondary" disabled={replay.isPending} onClick={() => replay.mutate({ runId })}>
            Replay
          </button>
          {ENDED.has(r.status) ? (
            <RerunFromStep steps={steps} pending={replay.isPending} onRerun={(fromStep) => replay.mutate({ runId, fromStep })} />
          ) : null}
          <ActionMessage message={message} />
        </div>
      </IfRole>

      {failed ? <ErrorView error={r.error ?? r.output} seenOn={errors.aboveSeenOn} /> : null}
      {r.status === "Cancelled" ? <p className="notice">Cancelled{r.cancel_reason ? `: ${r.cancel_reason}` : ""}.</p> : null}

      <h2>Trace</h2>
      <RunTrace run={r} logs={r.logs} now={Date.now()} errors={errors.placements} />

      {r.invoked?.length ? (
        <section aria-label="Invoked runs">
          <h2>Invoked runs</h2>
          <ul>
            {r.invoked.map((i) => (
              <li key={i.run_id}>
                {i.name ?? i.step_id}: <Link href={`/runs/${i.run_id}`}>{i.run_id}</Link>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <h2>Triggering event{r.events.length === 1 ? "" : "s"}</h2>
      {r.events.map((e, i) => (
        <CopyJson key={e.id ?? i} label={`${e.name}${e.id ? ` · ${e.id}` : ""}`} value={e} />
      ))}
      {!failed && r.output !== null && r.output !== undefined ? <CopyJson label="Output" value={r.output} /> : null}
    </div>
  );
}
