/** Previous/next buttons over a stack of keyset cursors (the first page's cursor is undefined). */
export function CursorPager({
  cursors,
  setCursors,
  next,
  labels = ["Previous page", "Next page"],
  showPage = true,
}: {
  cursors: Array<string | undefined>;
  setCursors: (update: (c: Array<string | undefined>) => Array<string | undefined>) => void;
  next: string | null | undefined;
  labels?: [string, string];
  showPage?: boolean;
}) {
  return (
    <nav className="row" aria-label="Pages" style={{ marginTop: "0.75rem" }}>
      <button type="button" className="secondary" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>
        {labels[0]}
      </button>
      {showPage ? <span className="muted">Page {cursors.length}</span> : null}
      <button type="button" className="secondary" disabled={!next} onClick={() => next && setCursors((c) => [...c, next])}>
        {labels[1]}
      </button>
    </nav>
  );
}
