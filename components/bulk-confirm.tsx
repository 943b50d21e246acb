import type { ReactNode } from "react";

/**
 * The confirmation a bulk action asks for before it runs (how many, what is skipped), and the line that reports what
 * it did. Shared by the jobs list (retry, cancel, acknowledge) and the runs list (replay failed runs).
 */
export function BulkConfirm({
  question,
  detail,
  children,
  onKeep,
  keepLabel = "Keep them",
}: {
  question: ReactNode;
  /** What the action will skip, and why. */
  detail?: ReactNode;
  /** The action's button(s); none when there is nothing to do. */
  children?: ReactNode;
  onKeep: () => void;
  keepLabel?: string;
}) {
  return (
    <div className="dialog panel" role="alertdialog" aria-modal="false" aria-labelledby="bulk-confirm-title">
      <p id="bulk-confirm-title">{question}</p>
      {detail}
      <div className="row">
        {children}
        <button type="button" className="secondary" onClick={onKeep}>
          {keepLabel}
        </button>
      </div>
    </div>
  );
}

/** What the last bulk action did (or why it could not). */
export function BulkOutcome({ text }: { text: string | null }) {
  return text ? (
    <p className="notice" role="status">
      {text}
    </p>
  ) : null;
}
