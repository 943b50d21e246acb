"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { Loading } from "../load-state";
import { LIVE_MS, useTRPC } from "../trpc";
import { CopyJson } from "./copy-json";
import { formatDuration, formatTime } from "./format";
import { StatusBadge } from "./status-badge";
import { StepTimeline } from "./step-timeline";

const ACTIVE = new Set(["QUEUED", "RUNNING", "WAITING"]);

/** One job: status, payload, result or error, the step waterfall, why it waits, and what can be done with it. */
export function JobDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<string | null>(null);
  const job = useQuery(
    // A running job is polled for its steps (they do not move the change counter); a finished one follows it.
    trpc.job.byId.queryOptions({ id }, { refetchInterval: (q) => (q.state.data && !ACTIVE.has(q.state.data.status) ? false : LIVE_MS) }),
  );
  const waiting = job.data && ACTIVE.has(job.data.status);
  const insight = useQuery(trpc.job.insight.queryOptions({ id }, { enabled: Boolean(waiting), refetchInterval: LIVE_MS }));
  const done = (verb: string) => ({
    onSuccess: () => {
      setMessage(`${verb}.`);
      void queryClient.invalidateQueries();
    },
    onError: (e: { message: string }) => setMessage(e.message),
  });
  const retry = useMutation(trpc.job.retry.mutationOptions(done("Retried: a new attempt is queued")));
  const cancel = useMutation(trpc.job.cancel.mutationOptions(done("Cancelled")));
  const acknowledge = useMutation(trpc.job.acknowledge.mutationOptions(done("Failure acknowledged")));
  const decide = useMutation(trpc.job.decide.mutationOptions(done("Decision sent")));

  if (job.isLoading) return <Loading height="12rem" label="the job" />;
  if (job.error) {
    return (
      <div className="alert" role="alert">
        {job.error.data?.code === "NOT_FOUND" ? "No such job in your organization." : `Could not load the job: ${job.error.message}`}{" "}
        <Link href="/jobs">Back to jobs</Link>
      </div>
    );
  }
  const j = job.data;
  if (!j) return null;
  const awaitingDecision =
    j.type === "approval-workflow" && j.status === "WAITING" && j.steps.some((s) => s.kind === "WAIT_FOR_EVENT" && s.status === "RUNNING");

  return (
    <div>
      <div className="row" style={{ justifyContent: "space-between" }}>
        <h1>
          {j.type} <code style={{ fontSize: "0.9rem" }}>{j.id}</code>
        </h1>
        <StatusBadge status={j.status} />
      </div>
      <div className="cards" style={{ marginBottom: "1rem" }}>
        <div className="card">
          <div className="l">Created</div>
          <div>{formatTime(j.createdAt)}</div>
        </div>
        <div className="card">
          <div className="l">Started</div>
          <div>{formatTime(j.startedAt)}</div>
        </div>
        <div className="card">
          <div className="l">Finished</div>
          <div>{formatTime(j.finishedAt)}</div>
        </div>
        <div className="card">
          <div className="l">Duration</div>
          <div>{formatDuration(j.durationMs)}</div>
        </div>
        <div className="card">
          <div className="l">Attempt · steps</div>
          <div>
            {j.attempt} · {j.stepsCompleted} done
          </div>
        </div>
        <div className="card">
          <div className="l">Priority · source</div>
          <div>
            {j.priority} · {j.source.toLowerCase()}
          </div>
        </div>
      </div>

      <div className="row" style={{ marginBottom: "1rem", minHeight: "2.4rem" }}>
        {j.status === "FAILED" || j.status === "CANCELLED" ? (
          <button type="button" onClick={() => retry.mutate({ id })} disabled={retry.isPending}>
            Retry
          </button>
        ) : null}
        {ACTIVE.has(j.status) ? (
          <button type="button" className="danger" onClick={() => cancel.mutate({ id })} disabled={cancel.isPending}>
            Cancel job
          </button>
        ) : null}
        {j.status === "FAILED" && !j.failureAcknowledgedAt ? (
          <button type="button" className="secondary" onClick={() => acknowledge.mutate({ ids: [id] })}>
            Acknowledge failure
          </button>
        ) : null}
        {awaitingDecision ? (
          <>
            <button type="button" onClick={() => decide.mutate({ id, decision: "approve" })} disabled={decide.isPending}>
              Approve
            </button>
            <button type="button" className="danger" onClick={() => decide.mutate({ id, decision: "reject" })} disabled={decide.isPending}>
              Reject
            </button>
          </>
        ) : null}
        {/* In the row, not above the panels: the outcome of an action does not push the page down. The live region
            exists from the start so screen readers announce what is written into it. */}
        <span role="status" className="muted">
          {message}
        </span>
      </div>

      {waiting ? (
        <section className="panel" aria-label="Why it waits">
          <h2 style={{ marginTop: 0 }}>Why it waits</h2>
          {insight.data?.waiting.length ? (
            <ul data-testid="waiting-reasons">
              {insight.data.waiting.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          ) : (
            <p className="muted">
              {insight.data?.unavailable ? `Inngest could not say (${insight.data.unavailable}).` : "Nothing is holding it right now."}
            </p>
          )}
        </section>
      ) : null}

      {j.error ? (
        <section className="alert" role="alert" aria-label="Error">
          <strong>{j.error.name}:</strong> {j.error.message}
        </section>
      ) : null}

      <h2>Steps</h2>
      <StepTimeline steps={j.steps} now={Date.now()} />

      <CopyJson label="Payload" value={j.payload} />
      {j.result !== null ? <CopyJson label="Result" value={j.result} /> : null}
      {j.error !== null ? <CopyJson label="Error details" value={j.error} /> : null}
    </div>
  );
}
