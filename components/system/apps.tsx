"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ListTable } from "../list-table";
import { LoadError } from "../load-state";
import { useRole } from "../shell/use-role";
import { TableHead } from "../table-head";
import { LIVE_MS, useTRPC } from "../trpc";
import { When } from "../when";

/** The apps Inngest has synced: where they are, their SDK and framework, their functions, the last sync and its error. */
export function Apps() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { operator } = useRole();
  const [message, setMessage] = useState<string | null>(null);
  const apps = useQuery(trpc.system.apps.queryOptions(undefined, { refetchInterval: LIVE_MS * 4 }));
  const resync = useMutation(
    trpc.system.resyncApps.mutationOptions({
      onSuccess: (out) => {
        const failed = out.filter((o) => !o.ok);
        setMessage(
          out.length === 0
            ? "A sync is already running; the list updates when it ends."
            : failed.length
              ? `Synced ${out.length - failed.length} of ${out.length}: ${failed.map((f) => `${f.url} failed (${f.error})`).join("; ")}`
              : `Synced ${out.length} app${out.length === 1 ? "" : "s"}.`,
        );
        void queryClient.invalidateQueries();
      },
      onError: (e) => setMessage(e.message),
    }),
  );
  return (
    <div>
      {operator ? (
        <div className="row" style={{ marginBottom: "0.75rem" }}>
          <button type="button" onClick={() => resync.mutate()} disabled={resync.isPending}>
            {resync.isPending ? "Resyncing…" : "Resync apps"}
          </button>
          <span className="muted">Reads each app&apos;s functions again from its URL, as a deploy does.</span>
        </div>
      ) : (
        <p className="muted">Resyncing is an operator&apos;s action: it reloads the functions every organization runs.</p>
      )}
      {message ? (
        <p className="notice" role="status">
          {message}
        </p>
      ) : null}
      {apps.error ? <LoadError what="apps" error={apps.error} /> : null}
      <ListTable
        label="Apps"
        columns={5}
        loading={apps.isLoading}
        empty={apps.data?.length === 0 ? "No app has synced yet: start the app, or resync." : undefined}
        head={<TableHead columns={["App", "SDK · framework", "Functions", "Last sync", "Problem"]} />}
      >
        {apps.data?.map((a) => (
          <tr key={a.id} data-app={a.id}>
            <td style={{ whiteSpace: "normal", overflowWrap: "anywhere" }}>
              <strong>{a.id}</strong>
              {a.url ? (
                <div>
                  <code data-testid="app-url">{a.url}</code>
                </div>
              ) : null}
              {a.appVersion ? <div className="muted">version {a.appVersion}</div> : null}
            </td>
            <td>
              {a.sdk ?? "–"} · {a.framework ?? "–"}
            </td>
            <td style={{ whiteSpace: "normal" }}>
              <details>
                <summary data-testid="function-count">
                  {a.functionCount} function{a.functionCount === 1 ? "" : "s"}
                </summary>
                <ul style={{ margin: 0, paddingLeft: "1rem", fontSize: "0.85rem" }}>
                  {a.functions.map((f) => (
                    <li key={f}>
                      <code>{f}</code>
                    </li>
                  ))}
                </ul>
              </details>
            </td>
            <td>
              <When iso={a.syncedAt} />
            </td>
            <td style={{ whiteSpace: "normal" }}>
              {a.error ? (
                <span className="error" data-testid="sync-error">
                  {a.error}
                </span>
              ) : (
                <span className="muted">none</span>
              )}
            </td>
          </tr>
        ))}
      </ListTable>
    </div>
  );
}
