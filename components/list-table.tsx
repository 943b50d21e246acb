"use client";

import { type ReactNode, useEffect, useRef } from "react";
import { ScrollRegion } from "./scroll-region";

/**
 * Names every body cell by its column (`data-label`, from the header row), so that on a phone, where a list's rows
 * become cards (globals.css), each value is shown under its column's name instead of in a column too narrow for it.
 */
function labelCells(table: HTMLTableElement) {
  // A sortable column's header ends in its sort arrow, which is not part of its name.
  const names = [...table.querySelectorAll("thead tr:first-child th")].map((th) => (th.textContent ?? "").replace(/[▲▼]/g, "").trim());
  for (const row of table.querySelectorAll("tbody tr")) {
    const cells = [...row.children] as HTMLElement[];
    if (cells.length !== names.length) continue; // a full-width row (loading, nothing matches, a detail row)
    cells.forEach((cell, i) => {
      if (cell.dataset.label !== names[i]) cell.dataset.label = names[i];
    });
  }
}

/**
 * A list's table the way every console list has it: in a focusable scroll box named after it, busy while it loads,
 * with skeleton rows on the first load and one row saying so when nothing matches.
 */
export function ListTable({
  label,
  head,
  columns,
  loading,
  empty,
  children,
}: {
  /** The table's accessible name ("Jobs"); the scroll box is "<label> (scrolls)". */
  label: string;
  head: ReactNode;
  /** How many columns a full-width row (skeleton, nothing matches) spans. */
  columns: number;
  loading: boolean;
  /** Shown when the list has loaded and has no rows; nothing when undefined. */
  empty?: ReactNode;
  children: ReactNode;
}) {
  const ref = useRef<HTMLTableElement>(null);
  // After every render: rows come and go with polling and pages.
  useEffect(() => {
    if (ref.current) labelCells(ref.current);
  });
  return (
    <ScrollRegion label={`${label} (scrolls)`}>
      <table aria-label={label} aria-busy={loading} ref={ref} className="list-table">
        {head}
        <tbody>
          {loading
            ? Array.from({ length: 5 }, (_, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
                <tr key={i}>
                  <td colSpan={columns}>
                    <div className="skeleton" />
                  </td>
                </tr>
              ))
            : children}
          {!loading && empty !== undefined ? (
            <tr>
              <td colSpan={columns} className="muted">
                {empty}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
