"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";
import { MyPlan, PlansAdmin } from "./plans";
import { WebhookSecret } from "./webhook-secret";

/** The organization's settings (its plan, its webhook secret) and, for operators, every organization's plan. */
export function SettingsPage() {
  const trpc = useTRPC();
  const me = useQuery(trpc.whoami.queryOptions());
  return (
    <>
      <section className="panel" aria-labelledby="plan-title">
        <h2 id="plan-title">Plan</h2>
        <MyPlan />
      </section>
      <section className="panel" aria-labelledby="secret-title">
        <h2 id="secret-title">Webhook signing secret</h2>
        <WebhookSecret />
      </section>
      {me.data?.operator ? (
        <section aria-labelledby="plans-title">
          <h2 id="plans-title">Organizations' plans</h2>
          <PlansAdmin />
        </section>
      ) : null}
    </>
  );
}
