"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { fieldErrorsOf, parseJsonObject } from "../form-input";
import { useTRPC } from "../trpc";

/**
 * Starts one run of a function now, as the Dev Server's "Invoke" does: with JSON data for a function an event
 * starts (as the caller's organization), or with none for a schedule ("Run now", an operator's). A job function run
 * this way is a plain run, not a job: the form says so and links to New job for the tracked way.
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
  /** The job type the function runs, when it is a job's function. */
  jobType?: { type: string; label: string };
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [data, setData] = useState(() => JSON.stringify(example ?? {}, null, 2));
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const invoke = useMutation(
    trpc.system.invoke.mutationOptions({
      onSuccess: (r) => {
        setMessage(`Started: event ${r.eventId}.`);
        void queryClient.invalidateQueries();
      },
      onError: (e) => {
        const fields = fieldErrorsOf(e, (path) => path);
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
      {message ? <p role="status">{message}</p> : null}
    </form>
  );
}
