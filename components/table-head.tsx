import type { ReactNode } from "react";

/** A column of a list: a plain label, or a label its rows can be sorted by (`sort` is the URL's sort key). */
export type Column = string | { label: string; sort: string };

/**
 * A table's header row: one `th scope="col"` per column; sortable columns get the sort button `sortHeader` makes
 * (useSortedRows in sortable.tsx), and `leading` is a first cell of its own (a select-all checkbox).
 */
export function TableHead({
  columns,
  sortHeader,
  leading,
}: {
  columns: Column[];
  sortHeader?: (column: string, label: string) => ReactNode;
  leading?: ReactNode;
}) {
  return (
    <thead>
      <tr>
        {leading !== undefined ? <th scope="col">{leading}</th> : null}
        {columns.map((c) =>
          typeof c === "string" || !sortHeader ? (
            <th key={typeof c === "string" ? c : c.label} scope="col">
              {typeof c === "string" ? c : c.label}
            </th>
          ) : (
            <SortableHeader key={c.label} node={sortHeader(c.sort, c.label)} />
          ),
        )}
      </tr>
    </thead>
  );
}

/** The sort header is a whole `th` already (useSortedRows makes it); this only gives it a key in the row. */
function SortableHeader({ node }: { node: ReactNode }) {
  return <>{node}</>;
}
