import type { ReactNode } from "react";
import { ScrollRegion } from "./scroll-region";

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
  return (
    <ScrollRegion label={`${label} (scrolls)`}>
      <table aria-label={label} aria-busy={loading}>
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
