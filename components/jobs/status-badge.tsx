export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`status ${status}`} data-status={status}>
      {status}
    </span>
  );
}
