"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { CursorPager } from "../cursor-pager";
import { FilterForm, RANGES, RangeField, SearchField, SelectField } from "../filter-form";
import { shortJobId, shortRunId } from "../ids";
import { ListTable } from "../list-table";
import { LoadError } from "../load-state";
import { useRole } from "../shell/use-role";
import { TableHead } from "../table-head";
import { useTRPC } from "../trpc";
import { useUrlState } from "../url-state";
import { When } from "../when";

/** The action families the filter offers (a family matches every action under it). */
const FAMILIES = [
  { value: "job.", label: "Jobs (all)" },
  { value: "job.create", label: "Job created" },
  { value: "job.cancel", label: "Job cancelled" },
  { value: "job.retry", label: "Job retried" },
  { value: "job.replay", label: "Job replayed" },
  { value: "job.bulk.", label: "Bulk actions" },
  { value: "run.", label: "Runs" },
  { value: "alertRule.", label: "Alert rules" },
  { value: "webhookSecret.", label: "Webhook secret" },
  { value: "plan.", label: "Plans" },
  { value: "function.", label: "Functions paused or resumed" },
  { value: "credits.", label: "Credits" },
  { value: "event.", label: "Events sent" },
];

/** Where a target links to in the console, when it has a page. */
function Target({ type, id }: { type: string; id: string | null }) {
  if (!id) return <span className="muted">{type}</span>;
  if (type === "job") return <Link href={`/jobs/${id}`}>job {shortJobId(id)}</Link>;
  if (type === "run") return <Link href={`/runs/${id}`}>run {shortRunId(id)}</Link>;
  return (
    <span>
      {type} <code>{id.length > 24 ? `${id.slice(0, 24)}…` : id}</code>
    </span>
  );
}

const changeText = (v: unknown) => (v === null || v === undefined ? "" : JSON.stringify(v));

/**
 * Who did what: every change made in the organization (operators: every organization's), newest first, filtered by
 * action, person, target and time; each row with the request it came from (address, user agent, request id).
 */
export function AuditTrail() {
  const trpc = useTRPC();
  const { operator } = useRole();
  const [url, setUrl] = useUrlState(["action", "actor", "target", "range", "organization"] as const);
  const [actor, setActor] = useState(url.actor);
  const [target, setTarget] = useState(url.target);
  const [organization, setOrganization] = useState(url.organization);
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const range = url.range && url.range in RANGES ? RANGES[url.range as keyof typeof RANGES] : undefined;
  // Rounded to the minute, so the query (and its cache key) stays the same while the page is open.
  const from = range ? new Date(Math.floor((Date.now() - range) / 60_000) * 60_000).toISOString() : undefined;
  const filter = {
    ...(url.action ? { action: url.action } : {}),
    ...(url.actor ? { actor: url.actor } : {}),
    ...(url.target ? { target: url.target } : {}),
    ...(url.organization ? { organization: url.organization } : {}),
    ...(from ? { from } : {}),
  };
  const rows = useQuery(
    trpc.audit.list.queryOptions({ ...filter, cursor: cursors.at(-1), limit: 50 }, { placeholderData: keepPreviousData }),
  );
  const apply = (changes: Partial<Record<"action" | "actor" | "target" | "range" | "organization", string>>) => {
    setCursors([undefined]);
    setUrl(changes);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply({ actor: actor.trim(), target: target.trim(), organization: organization.trim() });
  };
  return (
    <div>
      <FilterForm label="Filter the audit trail" onSubmit={submit}>
        <SelectField label="Action" value={url.action} onChange={(v) => apply({ action: v })} options={FAMILIES} />
        <SearchField label="Who" value={actor} onChange={setActor} placeholder="user_…" />
        <SearchField label="Target id" value={target} onChange={setTarget} placeholder="a job, run or rule id" />
        {operator ? <SearchField label="Organization" value={organization} onChange={setOrganization} placeholder="all" /> : null}
        <RangeField value={url.range} onChange={(v) => apply({ range: v })} />
        <button type="submit">Filter</button>
      </FilterForm>
      {rows.error ? <LoadError what="the audit trail" error={rows.error} /> : null}
      <ListTable
        label="Audit trail"
        columns={6}
        loading={rows.isLoading}
        empty={rows.data && rows.data.items.length === 0 ? "Nothing recorded matches." : undefined}
        head={<TableHead columns={["When", "Who", "Action", "Target", "Change", "From"]} />}
      >
        {rows.data?.items.map((r) => (
          <tr key={r.id} data-audit-id={r.id} data-action={r.action}>
            <td>
              <When iso={r.at} />
            </td>
            <td>
              {r.actorId} <span className="muted">({r.actorRole})</span>
              {operator ? <div className="muted">{r.orgId}</div> : null}
            </td>
            <td>
              <code>{r.action}</code>
            </td>
            <td>
              <Target type={r.targetType} id={r.targetId} />
            </td>
            <td style={{ whiteSpace: "normal", maxWidth: "28rem", overflowWrap: "anywhere" }}>
              {r.before ? <div className="muted">{changeText(r.before)}</div> : null}
              {r.after ? <div>{changeText(r.after)}</div> : null}
            </td>
            <td className="muted" title={r.userAgent ?? undefined}>
              {r.door}
              {r.ip ? ` · ${r.ip}` : ""}
              {r.requestId ? <div>{r.requestId.slice(0, 12)}</div> : null}
            </td>
          </tr>
        ))}
      </ListTable>
      <CursorPager cursors={cursors} setCursors={setCursors} next={rows.data?.cursor} labels={["Newer", "Older"]} showPage={false} />
    </div>
  );
}
