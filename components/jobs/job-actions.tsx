"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { isActive, isRetryable } from "@/jobs/status";
import { ActionMessage } from "../action-message";
import { fieldErrorsOf, parseJsonObject } from "../form-input";
import { shortJobId } from "../ids";
import { RerunFromStep } from "../rerun-from-step";
import { useRole } from "../shell/use-role";
import { type RouterOutputs, useTRPC } from "../trpc";

type Job = RouterOutputs["job"]["byId"];

/**
 * What can be done with a job: retry, cancel (after a confirmation), acknowledge a failure, decide an approval,
 * replay with the same or an edited payload, and rerun from a step. The last outcome is shown until the job's status
 * moves on.
 */
export function JobActions({ job }: { job: Job }) {
  const { canAct } = useRole();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<{ text: string; href?: string } | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [editing, setEditing] = useState(false);
  const [payload, setPayload] = useState(() => JSON.stringify(job.payload, null, 2));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [fromStep, setFromStep] = useState("");
  // A message about an earlier state is stale once the status changes.
  // biome-ignore lint/correctness/useExhaustiveDependencies: cleared exactly when the status moves
  useEffect(() => {
    setMessage(null);
    setConfirmCancel(false);
  }, [job.status]);

  const done = (verb: string) => ({
    onSuccess: () => {
      setMessage({ text: `${verb}.` });
      void queryClient.invalidateQueries();
    },
    onError: (e: { message: string }) => setMessage({ text: e.message }),
  });
  const retry = useMutation(trpc.job.retry.mutationOptions(done("Retried: a new attempt is queued")));
  const cancel = useMutation(trpc.job.cancel.mutationOptions(done("Cancel requested")));
  const acknowledge = useMutation(trpc.job.acknowledge.mutationOptions(done("Failure acknowledged")));
  const decide = useMutation(trpc.job.decide.mutationOptions(done("Decision sent")));
  const rerun = useMutation(trpc.job.rerunFromStep.mutationOptions(done(`Rerunning from ${fromStep}: the steps before it are reused`)));
  const replay = useMutation(
    trpc.job.replay.mutationOptions({
      onSuccess: (r) => {
        setEditing(false);
        setErrors({});
        setMessage({ text: `Replayed as job ${shortJobId(r.job.id)}.`, href: `/jobs/${r.job.id}` });
        void queryClient.invalidateQueries();
      },
      onError: (e) => {
        // By their path under `payload`.
        const f = fieldErrorsOf(e, (path) => path.replace(/^payload\.?/, "") || "payload");
        setErrors(f);
        setMessage(Object.keys(f).length ? null : { text: e.message });
      },
    }),
  );

  // The steps of the latest run, in order, that a rerun can start from.
  const latest = job.steps.filter((s) => s.runId === job.runId && s.kind === "RUN");
  const stepNames = [...new Set(latest.map((s) => s.name))];
  const awaitingDecision =
    job.type === "approval-workflow" &&
    job.status === "WAITING" &&
    job.steps.some((s) => s.kind === "WAIT_FOR_EVENT" && s.status === "RUNNING");

  const submitReplay = (ev: FormEvent) => {
    ev.preventDefault();
    const parsed = parseJsonObject(payload);
    if ("error" in parsed) {
      setErrors({ payload: parsed.error });
      return;
    }
    setErrors({});
    replay.mutate({ id: job.id, payload: parsed.value });
  };

  if (!canAct) return null;
  return (
    <div style={{ marginBottom: "1rem" }}>
      <div className="row" style={{ minHeight: "2.4rem" }}>
        {isRetryable(job.status) ? (
          <button type="button" onClick={() => retry.mutate({ id: job.id })} disabled={retry.isPending}>
            Retry
          </button>
        ) : null}
        {isActive(job.status) ? (
          <button type="button" className="danger" onClick={() => setConfirmCancel(true)} disabled={cancel.isPending}>
            Cancel job
          </button>
        ) : null}
        {job.status === "FAILED" && !job.failureAcknowledgedAt ? (
          <button type="button" className="secondary" onClick={() => acknowledge.mutate({ ids: [job.id] })}>
            Acknowledge failure
          </button>
        ) : null}
        {awaitingDecision ? (
          <>
            <button type="button" onClick={() => decide.mutate({ id: job.id, decision: "approve" })} disabled={decide.isPending}>
              Approve
            </button>
            <button
              type="button"
              className="danger"
              onClick={() => decide.mutate({ id: job.id, decision: "reject" })}
              disabled={decide.isPending}
            >
              Reject
            </button>
          </>
        ) : null}
        <button type="button" className="secondary" onClick={() => replay.mutate({ id: job.id })} disabled={replay.isPending}>
          Replay
        </button>
        <button type="button" className="secondary" onClick={() => setEditing((v) => !v)} aria-expanded={editing}>
          Replay with edited payload
        </button>
        {isRetryable(job.status) ? (
          <RerunFromStep
            steps={stepNames}
            pending={rerun.isPending}
            onRerun={(step) => {
              setFromStep(step);
              rerun.mutate({ id: job.id, fromStep: step });
            }}
          />
        ) : null}
        <ActionMessage message={message} />
      </div>
      {confirmCancel ? (
        <div className="dialog panel" role="alertdialog" aria-modal="false" aria-labelledby="cancel-title">
          <p id="cancel-title">Cancel this job? Steps that already ran are not undone; the run stops before its next step.</p>
          <div className="row">
            <button
              type="button"
              className="danger"
              onClick={() => {
                setConfirmCancel(false);
                cancel.mutate({ id: job.id });
              }}
            >
              Cancel the job
            </button>
            <button type="button" className="secondary" onClick={() => setConfirmCancel(false)}>
              Keep it running
            </button>
          </div>
        </div>
      ) : null}
      {editing ? (
        <form className="panel" onSubmit={submitReplay} noValidate aria-label="Replay with an edited payload">
          <div className="field">
            <label htmlFor="replay-payload">Payload (JSON, checked against the {job.type} schema)</label>
            <textarea
              id="replay-payload"
              value={payload}
              onChange={(e) => setPayload(e.target.value)}
              rows={8}
              aria-invalid={Object.keys(errors).length ? true : undefined}
            />
            {Object.entries(errors).map(([path, text]) => (
              <span key={path} className="error">
                {path}: {text}
              </span>
            ))}
          </div>
          <button type="submit" disabled={replay.isPending}>
            Replay as a new job
          </button>
        </form>
      ) : null}
    </div>
  );
}
