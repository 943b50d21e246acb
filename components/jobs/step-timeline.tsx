import { backoffsOf } from "../runs/backoff";
import type { RouterOutputs } from "../trpc";
import { type ErrorPlacement, PlacedError } from "./error-view";
import { formatDuration } from "./format";
import { type LogLine, logsByStep, StepLogLines, stepKey } from "./step-logs";

type Step = RouterOutputs["job"]["byId"]["steps"][number];

/**
 * A waterfall of step executions per run (each job attempt, and each rerun from a step, is a run of its own): every row is one attempt of one step,
 * placed on the run's own time axis, coloured by outcome, with its output or error on demand.
 */
/** The engine's own start and end of a run's sleeps and waits, by run and step name (the app sees them late). */
export type EngineSpans = Map<string, { startedAt: string; finishedAt: string | null }>;
export const spanKey = (runId: string | null, name: string) => `${runId}:${name}`;

/** How a step attempt is named where its error is listed: "step-2-validate (run 1 try 3)". */
export function stepAttemptLabel(s: { name: string; attempt: number; runId: string | null }, runIndex: Map<string, number>): string {
  const run = runIndex.size > 1 ? `run ${(runIndex.get(s.runId ?? "unknown") ?? 0) + 1} ` : "";
  return `${s.name} (${run}try ${s.attempt + 1})`;
}

export function StepTimeline({
  steps: recorded,
  now,
  logs,
  spans,
  errors,
}: {
  steps: Step[];
  now: number;
  logs?: LogLine[];
  spans?: EngineSpans;
  /** Where each step's error is shown (placeErrors), so one error repeated over attempts is shown once. */
  errors?: Map<string, ErrorPlacement>;
}) {
  if (!recorded.length) return <p className="muted">No steps have run yet.</p>;
  const lines = logsByStep(logs);
  // A sleep is recorded by the app when the request that found it ends, and closed by the request after it: the
  // engine knows when it really began and ended, so its times are used when it can say.
  const steps = recorded.map((s) => {
    const span = s.kind !== "RUN" ? spans?.get(spanKey(s.runId, s.name)) : undefined;
    return span ? { ...s, startedAt: span.startedAt, finishedAt: span.finishedAt ?? s.finishedAt, durationMs: null } : s;
  });
  const runs = new Map<string, Step[]>();
  for (const s of steps) {
    const key = s.runId ?? "unknown";
    runs.set(key, [...(runs.get(key) ?? []), s]);
  }
  return (
    <div>
      {[...runs.entries()].map(([runId, rows], i) => {
        const start = Math.min(...rows.map((r) => Date.parse(r.startedAt)));
        const end = Math.max(...rows.map((r) => (r.finishedAt ? Date.parse(r.finishedAt) : now)));
        const span = Math.max(end - start, 1);
        // The wait before each retry of a step, for its label ("retry 2 in 4 s").
        const backoffs = backoffsOf(rows, (r) => ({
          id: r.id,
          step: r.kind === "RUN" ? r.name : null,
          attempt: r.attempt,
          start: r.startedAt,
          end: r.finishedAt,
        }));
        return (
          <section key={runId} aria-label={`Run ${i + 1}`} style={{ marginBottom: "1rem" }}>
            <h3 style={{ fontSize: "0.95rem", margin: "0.5rem 0" }}>
              Run {i + 1}{" "}
              <span className="muted">
                run {runId} · {formatDuration(end - start)}
              </span>
            </h3>
            <ol className="timeline" style={{ listStyle: "none", padding: 0, margin: 0 }}>
              {rows.map((s) => {
                const backoff = backoffs.get(s.id);
                const from = Date.parse(s.startedAt) - start;
                const length = (s.finishedAt ? Date.parse(s.finishedAt) : now) - Date.parse(s.startedAt);
                const detail = s.output;
                return (
                  <li key={s.id} className="step" data-step={s.name} data-step-status={s.status}>
                    <span>
                      {s.name}
                      {s.kind !== "RUN" ? <span className="muted"> ({s.kind.toLowerCase().replaceAll("_", " ")})</span> : null}
                      {s.attempt > 0 ? (
                        <span className="muted">
                          {" "}
                          · retry {s.attempt}
                          {backoff ? ` in ${formatDuration(backoff.ms)}` : ""}
                        </span>
                      ) : null}
                    </span>
                    <span
                      className="track"
                      role="img"
                      aria-label={`${s.name}: ${s.status.toLowerCase()}, ${formatDuration(s.durationMs ?? length)}`}
                    >
                      <span
                        className={`bar ${s.status}`}
                        style={{ left: `${(from / span) * 100}%`, width: `${Math.max((length / span) * 100, 0.5)}%` }}
                      />
                    </span>
                    <span className="muted">
                      {s.status.toLowerCase()} · {formatDuration(s.durationMs ?? (s.finishedAt ? null : length))}
                    </span>
                    <StepLogLines lines={lines.get(stepKey(s.runId, s.stepId, s.attempt))} />
                    {s.error ? (
                      <div style={{ gridColumn: "1 / -1" }}>
                        <PlacedError error={s.error} placement={errors?.get(s.id)} label={`${s.name} error`} />
                      </div>
                    ) : null}
                    {!s.error && detail !== null && detail !== undefined ? (
                      <details style={{ gridColumn: "1 / -1" }}>
                        <summary>Output</summary>
                        {/* biome-ignore lint/a11y/noNoninteractiveTabindex: long output scrolls; keyboard users need focus to scroll it */}
                        <pre tabIndex={0}>{JSON.stringify(detail, null, 2)}</pre>
                      </details>
                    ) : null}
                  </li>
                );
              })}
            </ol>
          </section>
        );
      })}
    </div>
  );
}
