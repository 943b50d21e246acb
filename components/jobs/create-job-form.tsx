"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useMemo, useState, useTransition } from "react";
import { LoadError, Loading } from "../load-state";
import { type RouterInputs, type RouterOutputs, useTRPC } from "../trpc";

interface PropertySchema {
  type?: string | string[];
  description?: string;
  minimum?: number;
  maximum?: number;
  format?: string;
  default?: unknown;
  anyOf?: PropertySchema[];
}

type Kind = "string" | "number" | "integer" | "boolean" | "json";

function kindOf(p: PropertySchema): Kind {
  const t = Array.isArray(p.type) ? p.type.find((x) => x !== "null") : p.type;
  if (t === "string" || t === "number" || t === "integer" || t === "boolean") return t;
  return "json";
}

/**
 * A form per job type, generated from the type's payload JSON Schema (from `job.types`). The server validates
 * again and its field-level reasons are shown next to the fields; on success the browser goes to the new job.
 */
export type CreateJobResult =
  | { ok: true; value: RouterOutputs["job"]["create"] }
  | { ok: false; message: string; details?: Array<{ path: string; message: string }> };

export type CreateJobRequest = RouterInputs["job"]["create"];

/** `create` is the page's server action (jobs created here have source UI). */
/** A payload value as the form's field holds it (text for strings, numbers and JSON; a flag for booleans). */
function fieldValue(v: unknown): string | boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string" || typeof v === "number") return String(v);
  return JSON.stringify(v);
}

export function CreateJobForm({
  initialType,
  initialPayload,
  create,
}: {
  initialType?: string;
  /** Prefills the fields (from the events form's "create a job with this data", or a link). */
  initialPayload?: Record<string, unknown>;
  create: (input: CreateJobRequest) => Promise<CreateJobResult>;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const types = useQuery(trpc.job.types.queryOptions());
  const [type, setType] = useState(initialType ?? "demo-task");
  const [values, setValues] = useState<Record<string, string | boolean>>(() =>
    Object.fromEntries(Object.entries(initialPayload ?? {}).map(([k, v]) => [k, fieldValue(v)])),
  );
  const [priority, setPriority] = useState("0");
  const [idempotencyKey, setIdempotencyKey] = useState("");
  const [tags, setTags] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const def = types.data?.find((t) => t.type === type);
  const schema = def?.payloadSchema as { properties?: Record<string, PropertySchema>; required?: string[] } | undefined;
  const fields = useMemo(() => Object.entries(schema?.properties ?? {}), [schema]);

  const [pending, startTransition] = useTransition();
  const send = (input: CreateJobRequest) =>
    startTransition(async () => {
      const result = await create(input);
      if (result.ok) {
        // A key that names an existing job returns that job: the job page says so rather than pass it off as new.
        const { job, created } = result.value;
        router.push(created ? `/jobs/${job.id}` : `/jobs/${job.id}?${new URLSearchParams({ existing: job.idempotencyKey ?? "" })}`);
        return;
      }
      const byField: Record<string, string> = {};
      for (const d of result.details ?? []) byField[d.path.replace(/^payload\./, "").replace(/^tags\.\d+$/, "tags")] = d.message;
      setErrors(byField);
      setFormError(result.details?.length ? "Fix the highlighted fields." : result.message);
    });

  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    const payload: Record<string, unknown> = {};
    const local: Record<string, string> = {};
    for (const [name, p] of fields) {
      const v = values[name];
      const kind = kindOf(p);
      if (kind === "boolean") {
        if (v) payload[name] = true;
      } else if (v === undefined || v === "") {
        // left empty: the schema's default or "not given"
      } else if (kind === "number" || kind === "integer") {
        payload[name] = Number(v);
      } else if (kind === "json") {
        try {
          payload[name] = JSON.parse(String(v));
        } catch {
          local[name] = "must be valid JSON";
        }
      } else {
        payload[name] = v;
      }
    }
    setErrors(local);
    if (Object.keys(local).length) {
      setFormError("Fix the highlighted fields.");
      return;
    }
    setFormError(null);
    // The type is one the server listed and the payload was built from its schema; the server validates both again.
    const tagList = tags.split(/[\s,]+/).filter(Boolean);
    send({
      type,
      payload,
      priority: Number(priority || 0),
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(tagList.length ? { tags: tagList } : {}),
    } as CreateJobRequest);
  };

  if (types.isLoading) return <Loading height="10rem" label="job types" />;
  if (types.error) return <LoadError what="job types" error={types.error} />;

  const errorId = (name: string) => `err-${name}`;
  const hintId = (name: string) => `hint-${name}`;
  return (
    <form onSubmit={submit} noValidate aria-describedby={formError ? "form-error" : undefined} style={{ maxWidth: "40rem" }}>
      <div className="field">
        <label htmlFor="job-type">Job type</label>
        <select
          id="job-type"
          aria-describedby="job-type-hint"
          value={type}
          onChange={(e) => {
            setType(e.target.value);
            setValues({});
            setErrors({});
            setFormError(null);
          }}
        >
          {types.data?.map((t) => (
            <option key={t.type} value={t.type}>
              {t.label}
            </option>
          ))}
        </select>
        <span className="hint" id="job-type-hint">
          {def?.description}
        </span>
      </div>

      <fieldset className="panel" style={{ display: "grid", gap: "0.75rem", marginTop: "1rem" }}>
        <legend>Payload</legend>
        {fields.map(([name, p]) => {
          const kind = kindOf(p);
          const required = schema?.required?.includes(name) && p.default === undefined;
          const common = {
            id: `f-${name}`,
            name,
            "aria-invalid": errors[name] ? true : undefined,
            // The hint and the server's message for this field are read out with it.
            "aria-describedby": [p.description ? hintId(name) : "", errors[name] ? errorId(name) : ""].join(" ").trim() || undefined,
          };
          return (
            <div className="field" key={`${type}-${name}`}>
              {kind === "boolean" ? (
                <label>
                  <input
                    type="checkbox"
                    {...common}
                    checked={Boolean(values[name])}
                    onChange={(e) => setValues((v) => ({ ...v, [name]: e.target.checked }))}
                  />{" "}
                  {name}
                </label>
              ) : (
                <>
                  <label htmlFor={`f-${name}`}>
                    {name}
                    {required ? " (required)" : ""}
                  </label>
                  {kind === "json" ? (
                    <textarea
                      {...common}
                      value={String(values[name] ?? "")}
                      placeholder={p.default !== undefined ? JSON.stringify(p.default) : "{}"}
                      onChange={(e) => setValues((v) => ({ ...v, [name]: e.target.value }))}
                    />
                  ) : (
                    <input
                      {...common}
                      type={kind === "string" ? (p.format === "email" ? "email" : "text") : "number"}
                      min={p.minimum}
                      max={p.maximum}
                      required={required}
                      value={String(values[name] ?? "")}
                      placeholder={p.default !== undefined ? String(p.default) : undefined}
                      onChange={(e) => setValues((v) => ({ ...v, [name]: e.target.value }))}
                    />
                  )}
                </>
              )}
              {p.description ? (
                <span className="hint" id={hintId(name)}>
                  {p.description}
                </span>
              ) : null}
              {errors[name] ? (
                <span className="error" id={errorId(name)}>
                  {errors[name]}
                </span>
              ) : null}
            </div>
          );
        })}
      </fieldset>

      <div className="row" style={{ alignItems: "start" }}>
        <div className="field">
          <label htmlFor="f-priority">Priority (-600 to 600)</label>
          <input
            id="f-priority"
            type="number"
            min={-600}
            max={600}
            value={priority}
            aria-invalid={errors.priority ? true : undefined}
            aria-describedby={errors.priority ? errorId("priority") : undefined}
            onChange={(e) => setPriority(e.target.value)}
          />
          {errors.priority ? (
            <span className="error" id={errorId("priority")}>
              {errors.priority}
            </span>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor="f-idempotencyKey">Idempotency key{def?.requiresIdempotencyKey ? " (required)" : " (optional)"}</label>
          <input
            id="f-idempotencyKey"
            value={idempotencyKey}
            aria-invalid={errors.idempotencyKey ? true : undefined}
            aria-describedby={errors.idempotencyKey ? errorId("idempotencyKey") : undefined}
            onChange={(e) => setIdempotencyKey(e.target.value)}
          />
          {errors.idempotencyKey ? (
            <span className="error" id={errorId("idempotencyKey")}>
              {errors.idempotencyKey}
            </span>
          ) : null}
        </div>
      </div>
      <div className="field" style={{ maxWidth: "24rem" }}>
        <label htmlFor="f-tags">Tags (optional)</label>
        <input
          id="f-tags"
          value={tags}
          placeholder="e.g. customer:acme nightly"
          aria-invalid={errors.tags ? true : undefined}
          aria-describedby={["hint-tags", errors.tags ? errorId("tags") : ""].join(" ").trim()}
          onChange={(e) => setTags(e.target.value)}
        />
        <span className="hint" id="hint-tags">
          Separated by spaces or commas; the jobs list filters by them.
        </span>
        {errors.tags ? (
          <span className="error" id={errorId("tags")}>
            {errors.tags}
          </span>
        ) : null}
      </div>
      {formError ? (
        <p className="alert" role="alert" id="form-error">
          {formError}
        </p>
      ) : null}
      <button type="submit" disabled={pending} style={{ marginTop: "1rem" }}>
        {pending ? "Creating…" : "Create job"}
      </button>
    </form>
  );
}
