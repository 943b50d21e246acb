"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { fieldErrorsOf } from "../form-input";
import { ListTable } from "../list-table";
import { LoadError, Loading } from "../load-state";
import { TableHead } from "../table-head";
import { useTRPC } from "../trpc";
import { When } from "../when";

/** This organization's plan, as its members see it: what the operator granted it. */
export function MyPlan() {
  const trpc = useTRPC();
  const plan = useQuery(trpc.plan.mine.queryOptions());
  if (plan.isLoading) return <Loading height="3rem" label="the plan" />;
  if (plan.error) return <LoadError what="the plan" error={plan.error} />;
  const p = plan.data;
  if (!p) return null;
  return (
    <p data-testid="my-plan">
      Up to <strong>{p.maxPendingJobs.toLocaleString("en")}</strong> pending jobs at once
      {p.defaultLimit ? " (the installation's default)" : ""}; a weight of <strong>{p.weight}</strong> in the fair share of running slots.{" "}
      {p.updatedBy ? <span className="muted">Set by {p.updatedBy}.</span> : null}
    </p>
  );
}

/** Every organization's plan, for operators: the list, and a form that sets one (it applies at once). */
export function PlansAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const plans = useQuery(trpc.plan.list.queryOptions());
  const [orgId, setOrgId] = useState("");
  const [maxPending, setMaxPending] = useState("");
  const [weight, setWeight] = useState("1");
  const [message, setMessage] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const set = useMutation(
    trpc.plan.set.mutationOptions({
      onSuccess: (p) => {
        setErrors({});
        setMessage(`Saved: ${p.orgId} may have ${p.maxPendingJobs} pending jobs, weight ${p.weight}.`);
        void queryClient.invalidateQueries({ queryKey: trpc.plan.list.queryKey() });
      },
      onError: (e) => {
        setErrors(fieldErrorsOf(e, (path) => path));
        setMessage(e.message);
      },
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    set.mutate({ orgId: orgId.trim(), maxPendingJobs: maxPending.trim() ? Number(maxPending) : null, weight: Number(weight) });
  };

  return (
    <div>
      <form className="panel toolbar" aria-label="Set a plan" onSubmit={submit} noValidate>
        <label className="field">
          Organization id
          <input value={orgId} onChange={(e) => setOrgId(e.target.value)} aria-invalid={Boolean(errors.orgId)} placeholder="org_…" />
          {errors.orgId ? <span className="error">{errors.orgId}</span> : null}
        </label>
        <label className="field">
          Pending jobs (blank: the default)
          <input
            type="number"
            min={1}
            value={maxPending}
            onChange={(e) => setMaxPending(e.target.value)}
            aria-invalid={Boolean(errors.maxPendingJobs)}
          />
          {errors.maxPendingJobs ? <span className="error">{errors.maxPendingJobs}</span> : null}
        </label>
        <label className="field">
          Weight
          <input
            type="number"
            min={1}
            max={100}
            value={weight}
            onChange={(e) => setWeight(e.target.value)}
            aria-invalid={Boolean(errors.weight)}
          />
          {errors.weight ? <span className="error">{errors.weight}</span> : null}
        </label>
        <button type="submit" disabled={set.isPending}>
          Save plan
        </button>
      </form>
      {message ? (
        <p className="notice" role="status">
          {message}
        </p>
      ) : null}
      {plans.error ? <LoadError what="plans" error={plans.error} /> : null}
      <ListTable
        label="Plans"
        columns={5}
        loading={plans.isLoading}
        empty={plans.data?.length === 0 ? "No organization has a plan of its own: every one has the installation's defaults." : undefined}
        head={<TableHead columns={["Organization", "Pending jobs", "Weight", "Set by", "Updated"]} />}
      >
        {plans.data?.map((p) => (
          <tr key={p.orgId} data-org-id={p.orgId}>
            <td>
              <code>{p.orgId}</code>
            </td>
            <td>
              {p.maxPendingJobs.toLocaleString("en")}
              {p.defaultLimit ? <span className="muted"> (default)</span> : null}
            </td>
            <td>{p.weight}</td>
            <td>{p.updatedBy ?? "–"}</td>
            <td>
              <When iso={p.updatedAt} />
            </td>
          </tr>
        ))}
      </ListTable>
    </div>
  );
}
