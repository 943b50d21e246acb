"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { fieldErrorsOf, parseJsonObject } from "../form-input";
import { shortJobId } from "../ids";
import { useTRPC } from "../trpc";

/**
 * Runs a function now, as the Dev Server's "Invoke" does: a job type's function with JSON data as a new job's payload
 * (the job service checks it, and the job is listed, retried and replayable), a schedule with none ("Run now"), any
 * other function with JSON data as its event's (both operators').
 */
export function InvokeForm({
  functionId,
  scheduled,
  example,
  jobType,
}: {
  functionId: string;
  scheduled: boolean;
  example?: Record<string, unknown>;
  /** The job type the function runs, when it is a job's function: the data is then its payload. */
  jobType?: { type: string; label: string };
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [data, setData] = useState(() => JSON.stringify(example ?? {}, null, 2));
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const invoke = useMutation(
    trpc.system.invoke.mutationOptions({
      onSuccess: (r) => {
        setMessage(
          r.jobId
            ? r.created
              ? `Started as job ${shortJobId(r.jobId)}.`
              : `An existing job with this key was returned: ${shortJobId(r.jobId)}.`
            : `Started: event ${r.eventId}.`,
        );
        setJobId(r.jobId);
        void queryClient.invalidateQueries();
      },
      onError: (e) => {
        const fields = fieldErrorsOf(e, (path) => path.replace(/^payload\./, ""));
        setError(
          Object.keys(fields).length
            ? Object.entries(fields)
                .map(([k, v]) => `${k}: ${v}`)
                .join("; ")
            : e.message,
        );
        setMessage(null);
      },
    }),
  );
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    setMessage(null);
    if (scheduled) {
      setError(null);
      invoke.mutate({ functionId });
      return;
    }
    const parsed = parseJsonObject(data);
    if ("error" in parsed) {
      setError(parsed.error);
      return;
    }
    setError(null);
    invoke.mutate({ functionId, data: parsed.value });
  };
  const id = `invoke-${functionId}`;
  return (
    <form onSubmit={submit} noValidate aria-label={`Invoke ${functionId}`} style={{ display: "grid", gap: "0.5rem", marginTop: "0.5rem" }}>
      {scheduled ? (
        <p className="muted" style={{ margin: 0 }}>
          Runs the schedule once now, outside its times.
        </p>
      ) : (
        <div className="field">
          <label htmlFor={id}>Data (JSON)</label>
          <textarea id={id} value={data} onChange={(e) => setData(e.target.value)} aria-invalid={error ? true : undefined} rows={4} />
          {jobType ? (
            <span className="hint">
              A plain run, not a job (no row in Jobs, no replay).{" "}
              <Link href={`/jobs/new?${new URLSearchParams({ type: jobType.type, payload: data })}`}>
                Create a {jobType.label} job instead
              </Link>
            </span>
          ) : null}
        </div>
      )}
      {error ? <span className="error">{error}</span> : null}
      <div>
        <button type="submit" disabled={invoke.isPending}>
          {scheduled ? "Run now" : "Invoke"}
        </button>
      </div>
      {message ? (
        <p role="status">
          {message} {jobId ? <Link href={`/jobs/${jobId}`}>Open the job</Link> : null}
        </p>
      ) : null}
    </form>
  );
}
