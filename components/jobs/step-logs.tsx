import type { RouterOutputs } from "../trpc";
import { formatTime } from "./format";

export type LogLine = RouterOutputs["job"]["logs"][number];

/** Log lines keyed by run, step and attempt, the way a timeline row finds its own. */
export function logsByStep(lines: readonly LogLine[] | undefined): Map<string, LogLine[]> {
  const out = new Map<string, LogLine[]>();
  for (const l of lines ?? []) {
    const key = stepKey(l.runId, l.stepId, l.attempt);
    out.set(key, [...(out.get(key) ?? []), l]);
  }
  return out;
}

export const stepKey = (runId: string | null, stepId: string | null, attempt: number) => `${runId}:${stepId ?? ""}:${attempt}`;

/** The lines one step attempt logged, under its row of the timeline. */
export function StepLogLines({ lines }: { lines: LogLine[] | undefined }) {
  if (!lines?.length) return null;
  return (
    <ul className="logs" aria-label="Log lines">
      {lines.map((l) => (
        <li key={l.id} className={`level-${l.level}`} data-log-level={l.level}>
          <span className="muted">{formatTime(l.at)}</span> <strong>{l.level}</strong> {l.message}
        </li>
      ))}
    </ul>
  );
}
