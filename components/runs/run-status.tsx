/** What an active run waits for, in one word, from the engine's first reason ("sleeping until …" → sleep). */
export function waitKindOf(waiting: { reason?: string } | null | undefined): string | null {
  const r = waiting?.reason ?? "";
  if (r.startsWith("sleeping")) return "sleep";
  if (r.startsWith("retry")) return "retry backoff";
  if (r.startsWith("waiting for event")) return "event";
  if (r.startsWith("waiting for signal")) return "signal";
  if (r.startsWith("waiting for invoked")) return "invoke";
  if (r.startsWith("concurrency") || r.startsWith("waiting for a slot")) return "concurrency";
  if (r.startsWith("throttled")) return "throttle";
  if (r.includes("paused")) return "paused";
  return null;
}

/** A run's status as the engine says it ("Completed", "Failed"…), styled like a job's, with what it waits for. */
export function RunStatus({ status, waiting }: { status: string; waiting?: { reason?: string } | null }) {
  const key = status.toUpperCase();
  const kind = key === "RUNNING" || key === "QUEUED" ? waitKindOf(waiting) : null;
  return (
    <span className={`status ${kind && key === "RUNNING" ? "WAITING" : key}`} data-run-status={status}>
      {kind && key === "RUNNING" ? "Waiting" : status}
      {kind ? <span data-testid="run-wait-kind"> · {kind}</span> : null}
    </span>
  );
}
