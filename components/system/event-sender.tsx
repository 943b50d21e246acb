"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { fieldErrorsOf, parseJsonObject } from "../form-input";
import { useTRPC } from "../trpc";

/** Where the New job form opens prefilled with a type and a payload. */
export function newJobHref(type: string, payload: Record<string, unknown>): string {
  return `/jobs/new?${new URLSearchParams({ type, payload: JSON.stringify(payload) })}`;
}

/** What an event name means here: a job's start event, an internal event, a trigger of some function, or nothing. */
function useEventMeaning(name: string) {
  const trpc = useTRPC();
  const types = useQuery(trpc.job.types.queryOptions());
  const fns = useQuery(trpc.system.functions.queryOptions(undefined, { retry: false }));
  const job = types.data?.find((t) => t.eventName === name);
  const listeners = (fns.data?.functions ?? []).filter((f) => f.triggers.some((t) => t.event === name));
  const internal = name.startsWith("inngest/") || name.startsWith("jobdeck/");
  // Every event a function listens for, for the name field's suggestions (job events included: picking one explains).
  const triggers = [...new Set((fns.data?.functions ?? []).flatMap((f) => f.triggers.map((t) => t.event).filter((e): e is string => !!e)))];
  return { job, listeners, internal, triggers, types: types.data ?? [] };
}

/**
 * Send an event as the organization (name + JSON data). The name field suggests every event a function listens
 * for; a job's start event is explained instead of refused on submit: it is the job service's to send, so the form
 * links to "New job" prefilled with the data typed here.
 */
export function EventSender() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [data, setData] = useState("{}");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const meaning = useEventMeaning(name.trim());
  const send = useMutation(
    trpc.system.sendEvent.mutationOptions({
      onSuccess: (r) => {
        setMessage(`Sent: ${r.ids.join(", ")}`);
        void queryClient.invalidateQueries();
      },
      onError: (e) => {
        const fields = fieldErrorsOf(e, (path) => path.split(".")[0] as string);
        setErrors(fields);
        setMessage(Object.keys(fields).length ? null : e.message);
      },
    }),
  );
  const parsed = parseJsonObject(data);
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    if ("error" in parsed) {
      setErrors({ data: parsed.error });
      return;
    }
    setErrors({});
    send.mutate({ name, data: parsed.value });
  };
  const job = meaning.job;
  return (
    <form
      className="panel"
      onSubmit={submit}
      noValidate
      aria-label="Send an event"
      style={{ display: "grid", gap: "0.75rem", maxWidth: "40rem" }}
    >
      <div className="field">
        <label htmlFor="event-name">Event name</label>
        <input
          id="event-name"
          list="event-triggers"
          value={name}
          placeholder="app/thing.happened"
          onChange={(e) => setName(e.target.value)}
          aria-invalid={errors.name ? true : undefined}
          aria-describedby="event-name-meaning"
        />
        <datalist id="event-triggers">
          {meaning.triggers.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        {errors.name ? <span className="error">{errors.name}</span> : null}
        <span className="hint" id="event-name-meaning" data-testid="event-meaning">
          {!name.trim() ? (
            "Pick a trigger from the list, or type any name."
          ) : job ? (
            <>
              <code>{name.trim()}</code> starts a <strong>{job.label}</strong> job, so only the job service sends it: the job is then
              tracked, retried and listed in Jobs.{" "}
              <Link href={newJobHref(job.type, "error" in parsed ? job.example : parsed.value)} data-testid="create-instead">
                Create a {job.label} job with this data
              </Link>
            </>
          ) : meaning.internal ? (
            "An internal event: Inngest or the job service sends it, not a person."
          ) : meaning.listeners.length ? (
            `Starts ${meaning.listeners.map((f) => f.id).join(", ")}.`
          ) : (
            "No function listens for it: it is stored and listed, and starts nothing."
          )}
        </span>
      </div>
      <div className="field">
        <label htmlFor="event-data">Data (JSON)</label>
        <textarea id="event-data" value={data} onChange={(e) => setData(e.target.value)} aria-invalid={errors.data ? true : undefined} />
        {errors.data ? <span className="error">{errors.data}</span> : null}
        {job ? (
          <span className="hint">
            <button type="button" className="secondary" onClick={() => setData(JSON.stringify(job.example, null, 2))}>
              Use an example
            </button>{" "}
            a {job.label} payload its schema accepts.
          </span>
        ) : null}
      </div>
      <div>
        <button type="submit" disabled={send.isPending}>
          Send event
        </button>
      </div>
      {message ? <p role="status">{message}</p> : null}
    </form>
  );
}
