"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect } from "react";
import { isActive } from "@/jobs/status";
import { shortJobId } from "../ids";
import { Loading } from "../load-state";
import { Card, TimeCards } from "../time-cards";
import { LIVE_MS, type RouterOutputs, useTRPC } from "../trpc";
import { ReasonText, When } from "../when";
import { CopyJson } from "./copy-json";
import { ErrorView, placeErrors } from "./error-view";
import { formatDuration } from "./format";
import { JobActions } from "./job-actions";
import { StatusBadge, waitingKind } from "./status-badge";
import { type EngineSpans, StepTimeline, spanKey, stepAttemptLabel } from "./step-timeline";

type Job = RouterOutputs["job"]["byId"];

/** The event that started the job's current attempt: name, id, time, data, and where its runs are. */
function StartEvent({ job }: { job: Job }) {
  const e = job.startEvent;
  return (
    <section className="panel" aria-label="Start event">
      <h2 style={{ marginTop: 0 }}>Start event</h2>
      {e ? (
        <>
          <p>
            <code data-testid="start-event-name">{e.name}</code> · id <code data-testid="start-event-id">{e.id}</code> · created{" "}
            <When iso={e.createdAt} /> ·{" "}
            {e.sentAt ? (
              <>
                sent <When iso={e.sentAt} />
              </>
            ) : (
              <span className="muted">
                not sent yet ({e.attempts} attempt{e.attempts === 1 ? "" : "s"}
                {e.lastError ? `: ${e.lastError}` : ""})
              </span>
            )}
          </p>
          <CopyJson label="Event data" value={e.data} />
        </>
      ) : (
        <p className="muted">Not kept: start events are kept a week after they were sent.</p>
      )}
      <p>
        {job.runId ? (
          <>
            Current run <Link href={`/runs/${job.runId}`}>{job.runId}</Link> ·{" "}
          </>
        ) : null}
        <Link href={`/runs?q=${encodeURIComponent(job.id)}`}>All runs of this job</Link>
      </p>
    </section>
  );
}

/** One job: status, payload, result or error, the step waterfall with its logs, why it waits, and what can be done. */
export function JobDetail({ id, returnedForKey }: { id: string; returnedForKey?: string }) {
  const trpc = useTRPC();
  const job = useQuery(
    // A running job is polled for its steps (they do not move the change counter); a finished one follows it.
    trpc.job.byId.queryOptions({ id }, { refetchInterval: (q) => (q.state.data && !isActive(q.state.data.status) ? false : LIVE_MS) }),
  );
  const active = Boolean(job.data && isActive(job.data.status));
  const insight = useQuery(trpc.job.insight.queryOptions({ id }, { enabled: active, refetchInterval: LIVE_MS }));
  const logs = useQuery(trpc.job.logs.queryOptions({ id }, { refetchInterval: active ? LIVE_MS : false }));
  // The lines a step wrote just before the job ended arrive after the last poll: read them once more when it ends.
  const status = job.data?.status;
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per status change
  useEffect(() => {
    if (status && !isActive(status)) void logs.refetch();
  }, [status]);
  const parks = Boolean(job.data?.runId && job.data.steps.some((s) => s.kind === "SLEEP" || s.kind === "WAIT_FOR_EVENT"));
  const run = useQuery(
    trpc.run.byId.queryOptions(
      { runId: job.data?.runId ?? "" },
      { enabled: parks, retry: false, refetchInterval: active ? LIVE_MS : false },
    ),
  );
  const spans: EngineSpans = new Map(
    (run.data?.steps ?? [])
      .filter((s) => (s.kind === "sleep" || s.kind === "wait") && s.name && s.started_at)
      .map((s) => [spanKey(run.data?.run_id ?? null, s.name as string), { startedAt: s.started_at as string, finishedAt: s.ended_at }]),
  );

  if (job.isLoading) return <Loading height="12rem" label="the job" />;
  // A refetch that fails (the server away) keeps the job on the page; the live notice says it is not current.
  if (job.error && !job.data) {
    return (
      <div className="alert" role="alert">
        {job.error.data?.code === "NOT_FOUND" ? "No such job in your organization." : `Could not load the job: ${job.error.message}`}{" "}
        <Link href="/jobs">Back to jobs</Link>
      </div>
    );
  }
  const j = job.data;
  if (!j) return null;
  // The time this run waited before it started: from its attempt's own start event (not the job's creation), or from
  // a rerun from a step, whichever is later (as the queue statistics reckon it).
  const queuedSince = [j.startEvent?.createdAt ?? j.createdAt, j.queuedAt ?? j.createdAt].reduce((a, b) =>
    Date.parse(a) >= Date.parse(b) ? a : b,
  );
  const queueMs = j.startedAt ? Math.max(0, Date.parse(j.startedAt) - Date.parse(queuedSince)) : null;
  // One error repeated over a step's retries (and the job's attempts) is shown once, with where it happened.
  const runIndex = new Map([...new Set(j.steps.map((s) => s.runId ?? "unknown"))].map((r, i) => [r, i]));
  // The current run counts before it has recorded a step.
  const runCount = runIndex.size + (j.runId && !runIndex.has(j.runId) ? 1 : 0) || 1;
  const errors = placeErrors(
    j.steps.filter((s) => s.error).map((s) => ({ id: s.id, error: s.error, label: stepAttemptLabel(s, runIndex) })),
    j.error && j.status !== "CANCELLED" ? { error: j.error, label: "the job's error above" } : undefined,
  );

  return (
    <div>
      <div className="row" style={{ justifyContent: "space-between" }}>
        <h1>
          {j.type} <code style={{ fontSize: "0.9rem" }}>{j.id}</code>
        </h1>
        <StatusBadge status={j.status} detail={waitingKind(j)} />
      </div>
      {returnedForKey !== undefined ? (
        <p className="notice" role="status" data-testid="existing-job">
          An existing job with key <code>{j.idempotencyKey ?? returnedForKey}</code> was returned (created <When iso={j.createdAt} />
          ): no new job was made. Use another key, or none, for a new one.
        </p>
      ) : null}
      {j.replayOfId ? (
        <p>
          Replay of <Link href={`/jobs/${j.replayOfId}`}>job {shortJobId(j.replayOfId)}</Link>
        </p>
      ) : null}
      <TimeCards created={j.createdAt} started={j.startedAt} ended={j.finishedAt} endedLabel="Finished">
        <Card label="Duration · queued">
          <div>
            {formatDuration(j.durationMs)} · {formatDuration(queueMs)}
          </div>
        </Card>
        <Card label="Runs · steps done">
          {/* Runs as the step timeline numbers them (a job attempt or a rerun from a step is a run); steps of the latest. */}
          <div data-testid="runs-steps">
            {runCount} · {j.stepsCompleted} in run {runCount}
          </div>
        </Card>
        <Card label="Priority · source">
          <div>
            {j.priority} · {j.source.toLowerCase()}
          </div>
        </Card>
        {j.tags.length ? (
          <Card label="Tags">
            <div className="tag-list" data-testid="job-tags">
              {j.tags.map((t) => (
                <Link key={t} href={`/jobs?${new URLSearchParams({ tag: t })}`} className="tag">
                  #{t}
                </Link>
              ))}
            </div>
          </Card>
        ) : null}
        {j.idempotencyKey ? (
          <Card label="Idempotency key">
            <code data-testid="idempotency-key" style={{ overflowWrap: "anywhere" }}>
              {j.idempotencyKey}
            </code>
          </Card>
        ) : null}
      </TimeCards>

      <JobActions job={j} />

      {active ? (
        <section className="panel" aria-label="Why it waits">
          <h2 style={{ marginTop: 0 }}>Why it waits</h2>
          {insight.data?.predictedStart ? (
            <p data-testid="predicted-start">
              <strong>Predicted start:</strong> <ReasonText text={insight.data.predictedStart} />
            </p>
          ) : null}
          {insight.data?.waiting.length ? (
            <ul data-testid="waiting-reasons">
              {insight.data.waiting.map((r) => (
                <li key={r}>
                  <ReasonText text={r} />
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">
              {insight.data?.unavailable ? `Inngest could not say (${insight.data.unavailable}).` : "Nothing is holding it right now."}
            </p>
          )}
        </section>
      ) : null}

      {/* A cancellation is not a failure: its reason is a notice, and only a failure is shown as an error. */}
      {j.error && j.status === "CANCELLED" ? (
        <p className="notice" data-testid="cancel-reason">
          Cancelled: {j.error.message}
        </p>
      ) : j.error ? (
        <ErrorView error={j.error} label={j.status === "FAILED" ? "Error" : "Last error (it is retried)"} seenOn={errors.aboveSeenOn} />
      ) : null}

      <h2>Steps</h2>
      <StepTimeline steps={j.steps} now={Date.now()} logs={logs.data} spans={spans} errors={errors.placements} />

      <StartEvent job={j} />
      <CopyJson label="Payload" value={j.payload} />
      {j.result !== null ? <CopyJson label="Result" value={j.result} /> : null}
      {j.replays.length ? (
        <section aria-label="Replays">
          <h2>Replays</h2>
          <ul>
            {j.replays.map((r) => (
              <li key={r.id}>
                <Link href={`/jobs/${r.id}`}>job {shortJobId(r.id)}</Link> <StatusBadge status={r.status} /> <When iso={r.createdAt} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}
