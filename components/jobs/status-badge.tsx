/** A job's status; WAITING says what for ("waiting · sleep"). */
export function StatusBadge({ status, detail }: { status: string; detail?: string | null }) {
  return (
    <span className={`status ${status}`} data-status={status}>
      {status}
      {detail ? <span data-testid="waiting-kind"> · {detail}</span> : null}
    </span>
  );
}

/** What a WAITING job waits for, from its open steps: a sleep, an event, an invoked run, or its retry backoff. */
export function waitingKind(job: {
  status: string;
  error: unknown;
  steps: ReadonlyArray<{ kind: string; status: string }>;
}): string | null {
  if (job.status !== "WAITING") return null;
  const open = job.steps.filter((s) => s.status === "RUNNING").at(-1);
  if (open?.kind === "SLEEP") return "sleep";
  if (open?.kind === "WAIT_FOR_EVENT") return "event";
  if (open?.kind === "INVOKE") return "invoke";
  return job.error ? "retry backoff" : null;
}
