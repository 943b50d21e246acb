"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { fieldErrorsOf } from "../form-input";
import { useTRPC } from "../trpc";

export const KINDS = [
  { value: "FAILURE_RATE", label: "Failure rate above", unit: "% of finished jobs", windowed: true },
  { value: "FAILURES", label: "Failures at least", unit: "failed jobs", windowed: true },
  { value: "BACKLOG", label: "Backlog at least", unit: "queued jobs", windowed: false },
  { value: "OLDEST_QUEUED", label: "Oldest queued job older than", unit: "seconds", windowed: false },
  { value: "STUCK", label: "A running job silent for", unit: "seconds", windowed: false },
] as const;

export const CHANNELS = [
  { value: "EMAIL", label: "Email", placeholder: "ops@example.com" },
  { value: "SLACK", label: "Slack-compatible webhook", placeholder: "https://hooks.slack.com/services/…" },
  { value: "WEBHOOK", label: "Signed webhook", placeholder: "https://example.com/jobdeck-alerts" },
] as const;

/** A new alert rule (admins): what to watch, how much is too much, and where to say so; the server names bad fields. */
export function RuleForm({ jobTypes, onSaved }: { jobTypes: string[]; onSaved: (name: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({
    name: "",
    kind: "FAILURE_RATE",
    jobType: "",
    threshold: "10",
    windowMinutes: "15",
    channel: "EMAIL",
    target: "",
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const kind = KINDS.find((k) => k.value === form.kind) ?? KINDS[0];
  const channel = CHANNELS.find((c) => c.value === form.channel) ?? CHANNELS[0];
  const create = useMutation(
    trpc.alerts.create.mutationOptions({
      onSuccess: (rule) => {
        setErrors({});
        setMessage(null);
        setForm((f) => ({ ...f, name: "", target: "" }));
        onSaved(rule.name);
        void queryClient.invalidateQueries({ queryKey: trpc.alerts.list.queryKey() });
      },
      onError: (e) => {
        const fields = fieldErrorsOf(e, (path) => path.split(".")[0] as string);
        setErrors(fields);
        setMessage(Object.keys(fields).length ? null : e.message);
      },
    }),
  );
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({
      name: form.name,
      kind: form.kind as (typeof KINDS)[number]["value"],
      jobType: form.jobType || null,
      threshold: Number(form.threshold),
      windowMinutes: Number(form.windowMinutes),
      channel: form.channel as (typeof CHANNELS)[number]["value"],
      target: form.target,
    });
  };
  const error = (key: string) => (errors[key] ? <span className="error">{errors[key]}</span> : null);
  return (
    <form className="panel" aria-label="New alert rule" onSubmit={submit} noValidate style={{ display: "grid", gap: "0.75rem" }}>
      <div className="toolbar">
        <label className="field">
          Name
          <input value={form.name} onChange={set("name")} aria-invalid={Boolean(errors.name)} placeholder="Webhook failures" />
          {error("name")}
        </label>
        <label className="field">
          When
          <select value={form.kind} onChange={set("kind")}>
            {KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Threshold ({kind.unit})
          <input type="number" value={form.threshold} onChange={set("threshold")} aria-invalid={Boolean(errors.threshold)} />
          {error("threshold")}
        </label>
        {kind.windowed ? (
          <label className="field">
            Window (minutes)
            <input
              type="number"
              min={1}
              max={1440}
              value={form.windowMinutes}
              onChange={set("windowMinutes")}
              aria-invalid={Boolean(errors.windowMinutes)}
            />
            {error("windowMinutes")}
          </label>
        ) : null}
        <label className="field">
          Job type
          <select value={form.jobType} onChange={set("jobType")}>
            <option value="">Every type</option>
            {jobTypes.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="toolbar">
        <label className="field">
          Tell
          <select value={form.channel} onChange={set("channel")}>
            {CHANNELS.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field" style={{ flex: 1 }}>
          {form.channel === "EMAIL" ? "Address" : "URL"}
          <input value={form.target} onChange={set("target")} aria-invalid={Boolean(errors.target)} placeholder={channel.placeholder} />
          {error("target")}
        </label>
        <button type="submit" disabled={create.isPending}>
          Add rule
        </button>
      </div>
      {message ? (
        <p className="alert" role="alert">
          {message}
        </p>
      ) : null}
    </form>
  );
}
