"use client";

import { useEffect, useState } from "react";

/** A value that follows `value` once it has stopped changing for `ms` (a filter typed into a box). */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/**
 * A page of rows sorted by the URL's `sort` and `dir` (default: `fallback`, newest first), and the header cell that
 * sorts by a column: a click sorts by it descending, a second click ascending.
 */
export function useSortedRows<T>(
  rows: readonly T[],
  sorts: Record<string, (a: T, b: T) => number>,
  url: { sort: string; dir: string },
  setUrl: (changes: { sort?: string; dir?: string }) => void,
  fallback: string,
) {
  const key = sorts[url.sort] ? url.sort : fallback;
  const dir = url.dir === "asc" ? 1 : -1;
  const compare = sorts[key] as (a: T, b: T) => number;
  const sorted = [...rows].sort((a, b) => dir * compare(a, b));
  const header = (column: string, label: string) => (
    <th scope="col" aria-sort={key === column ? (dir === 1 ? "ascending" : "descending") : "none"}>
      <button
        type="button"
        className="link-button"
        onClick={() => setUrl({ sort: column, dir: key === column && dir === -1 ? "asc" : "desc" })}
      >
        {label}
        {key === column ? (dir === 1 ? " ▲" : " ▼") : ""}
      </button>
    </th>
  );
  return { sorted, header };
}
