"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { ListTable } from "../list-table";
import { LoadError } from "../load-state";
import { IfRole, ReadOnlyNote, useRole } from "../shell/use-role";
import { TableHead } from "../table-head";
import { useTRPC } from "../trpc";
import { When } from "../when";
import { CHANNELS, KINDS, RuleForm } from "./rule-form";

function condition(r: { kind: string; threshold: number; windowMinutes: number; jobType: string | null }): string {
  const kind = KINDS.find((k) => k.value === r.kind);
  const what = r.jobType ? ` (${r.jobType})` : "";
  return `${kind?.label ?? r.kind} ${r.threshold} ${kind?.unit ?? ""}${kind?.windowed ? ` in ${r.windowMinutes} min` : ""}${what}`;
}

/**
 * The organization's alert rules with their state (firing since when, the last value measured), a form to add one and
 * snooze, resume and delete buttons for admins; members and viewers read them. Evaluated every minute.
 */
export function AlertRules() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { isAdmin, role } = useRole();
  const rules = useQuery(trpc.alerts.list.queryOptions(undefined, { refetchInterval: 15_000 }));
  const types = useQuery(trpc.job.types.queryOptions());
  const [message, setMessage] = useState<string | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.alerts.list.queryKey() });
  const snooze = useMutation(trpc.alerts.snooze.mutationOptions({ onSuccess: refresh, onError: (e) => setMessage(e.message) }));
  const remove = useMutation(trpc.alerts.delete.mutationOptions({ onSuccess: refresh, onError: (e) => setMessage(e.message) }));
  const now = Date.now();
  return (
    <div>
      <IfRole atLeast="admin" otherwise={role ? <ReadOnlyNote what="alert rules" /> : null}>
        <RuleForm
          jobTypes={types.data?.map((t) => t.type) ?? []}
          onSaved={(name) => setMessage(`Added "${name}": it is evaluated every minute.`)}
        />
      </IfRole>
      {message ? (
        <p className="notice" role="status">
          {message}
        </p>
      ) : null}
      {rules.error ? <LoadError what="alert rules" error={rules.error} /> : null}
      <ListTable
        label="Alert rules"
        columns={isAdmin ? 6 : 5}
        loading={rules.isLoading}
        empty={rules.data?.length === 0 ? "No alert rules yet." : undefined}
        head={<TableHead columns={["Rule", "Condition", "Tells", "State", "Last measured", ...(isAdmin ? [""] : [])]} />}
      >
        {rules.data?.map((r) => {
          const snoozed = r.snoozedUntil !== null && Date.parse(r.snoozedUntil) > now;
          return (
            <tr key={r.id} data-rule={r.name}>
              <td>
                <Link href={`/alerts/history?rule=${r.id}`}>{r.name}</Link>
              </td>
              <td style={{ whiteSpace: "normal", minWidth: "12rem" }}>{condition(r)}</td>
              <td style={{ whiteSpace: "normal", overflowWrap: "anywhere", minWidth: "10rem" }}>
                {CHANNELS.find((c) => c.value === r.channel)?.label}:{" "}
                <code>{r.target.length > 40 ? `${r.target.slice(0, 40)}…` : r.target}</code>
              </td>
              <td style={{ whiteSpace: "normal" }}>
                <span className={`status ${r.state === "FIRING" ? "FAILED" : "COMPLETED"}`}>{r.state === "FIRING" ? "Firing" : "OK"}</span>
                {r.firingSince ? (
                  <span className="muted">
                    {" "}
                    since <When iso={r.firingSince} />
                  </span>
                ) : null}
                {snoozed ? (
                  <div className="muted">
                    Snoozed until <When iso={r.snoozedUntil} />
                  </div>
                ) : null}
              </td>
              <td>
                {r.lastValue ?? "–"} <span className="muted">{r.lastEvaluatedAt ? <When iso={r.lastEvaluatedAt} /> : "not yet"}</span>
              </td>
              {isAdmin ? (
                <td>
                  <div className="row">
                    {snoozed ? (
                      <button type="button" className="secondary" onClick={() => snooze.mutate({ id: r.id, minutes: null })}>
                        Resume
                      </button>
                    ) : (
                      <button type="button" className="secondary" onClick={() => snooze.mutate({ id: r.id, minutes: 60 })}>
                        Snooze 1 h
                      </button>
                    )}
                    <button type="button" className="danger" onClick={() => remove.mutate({ id: r.id })}>
                      Delete
                    </button>
                  </div>
                </td>
              ) : null}
            </tr>
          );
        })}
      </ListTable>
      <p>
        <Link href="/alerts/history">Alert history</Link>
      </p>
    </div>
  );
}
