"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { CursorPager } from "../cursor-pager";
import { FilterForm, SearchField } from "../filter-form";
import { shortRunId } from "../ids";
import { ListTable } from "../list-table";
import { LoadError } from "../load-state";
import { TableHead } from "../table-head";
import { useTRPC } from "../trpc";
import { useUrlState } from "../url-state";
import { When } from "../when";

/**
 * Search what functions logged, across runs: words through PostgreSQL's full-text index, plus `level:error`,
 * `run:<id>` and `fn:<function id>`; newest first, each line linking to its run and job. The query is in the URL.
 */
export function LogSearch() {
  const trpc = useTRPC();
  const [url, setUrl] = useUrlState(["q"] as const);
  const [text, setText] = useState(url.q);
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors.at(-1);
  const lines = useQuery(trpc.run.logs.queryOptions({ q: url.q, cursor, limit: 100 }, { placeholderData: keepPreviousData }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCursors([undefined]);
    setUrl({ q: text.trim() });
  };
  return (
    <div>
      <FilterForm label="Search logs" onSubmit={submit}>
        <SearchField label="Search" value={text} onChange={setText} placeholder="level:error email@example.com" grow />
        <button type="submit">Search</button>
        <span className="muted">Words match whole words (the full-text index); level:, run: and fn: narrow it.</span>
      </FilterForm>
      {lines.error ? <LoadError what="log lines" error={lines.error} /> : null}
      <ListTable
        label="Log lines"
        columns={6}
        loading={lines.isLoading}
        empty={lines.data && lines.data.lines.length === 0 ? "No log lines match." : undefined}
        head={<TableHead columns={["Time", "Level", "Message", "Step", "Function", "Run"]} />}
      >
        {lines.data?.lines.map((l) => (
          <tr key={l.id} data-log-id={l.id}>
            <td>
              <When iso={l.at} />
            </td>
            <td className={`level-${l.level}`}>{l.level}</td>
            <td style={{ whiteSpace: "normal", maxWidth: "36rem", overflowWrap: "anywhere" }}>{l.message}</td>
            <td>{l.stepName ?? <span className="muted">function</span>}</td>
            <td>{l.functionId}</td>
            <td>
              <Link href={`/runs/${l.runId}`}>{shortRunId(l.runId)}</Link>
              {l.jobId ? (
                <>
                  {" · "}
                  <Link href={`/jobs/${l.jobId}`}>job</Link>
                </>
              ) : null}
            </td>
          </tr>
        ))}
      </ListTable>
      <CursorPager cursors={cursors} setCursors={setCursors} next={lines.data?.cursor} labels={["Newer", "Older"]} showPage={false} />
    </div>
  );
}
