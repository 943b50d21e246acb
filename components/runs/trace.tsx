import { type ErrorPlacement, PlacedError } from "../jobs/error-view";
import { formatDuration, formatTime } from "../jobs/format";
import { type LogLine, logsByStep, StepLogLines, stepKey } from "../jobs/step-logs";
import type { RouterOutputs } from "../trpc";
import { backoffsOf } from "./backoff";
import { StepSpans } from "./trace-spans";

type Run = RouterOutputs["run"]["byId"];
type Step = Run["steps"][number];

const KIND_LABEL: Record<string, string> = {
  function: "request",
  step: "step",
  sleep: "sleep",
  wait: "wait for event",
  invoke: "invoke",
  signal: "wait for signal",
  cancel: "cancel",
  gateway: "fetch",
};

/** Ticks for an axis of `span` ms: about five, at a round step. */
function ticks(span: number): number[] {
  const steps = [
    10, 50, 100, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 21_600_000, 86_400_000,
  ];
  const step = steps.find((s) => span / s <= 6) ?? 86_400_000;
  return Array.from({ length: Math.floor(span / step) + 1 }, (_, i) => i * step);
}

/**
 * A run's trace on a real time axis: every step attempt, sleep, wait, invoke and request from its recorded start to
 * its end (the engine's own times, so a sleep's bar spans the sleep), with details on hover and its log lines below.
 */
export function RunTrace({
  run,
  logs,
  now,
  errors,
}: {
  run: Run;
  logs: LogLine[];
  now: number;
  /** Where each step's error is shown (placeErrors): one error repeated over retries is shown once. */
  errors?: Map<string, ErrorPlacement>;
}) {
  const rows = run.steps.filter((s) => s.started_at);
  if (!rows.length) return <p className="muted">Nothing has run yet.</p>;
  const start = Math.min(Date.parse(run.created_at ?? rows[0]?.started_at ?? ""), ...rows.map((s) => Date.parse(s.started_at ?? "")));
  const endOf = (s: Step) => (s.ended_at ? Date.parse(s.ended_at) : now);
  const end = Math.max(run.ended_at ? Date.parse(run.ended_at) : now, ...rows.map(endOf));
  const span = Math.max(end - start, 1);
  const lines = logsByStep(logs);
  // Extended traces: each step attempt's spans (the engine tells which step and attempt made each).
  // The wait before each retry, labelled and drawn in its gap.
  const backoffs = backoffsOf(rows, (s) => ({
    id: s.id,
    step: s.kind === "step" || s.kind === "function" ? (s.step_id ?? s.kind) : null,
    attempt: s.attempt,
    start: s.started_at,
    end: s.ended_at,
  }));
  const spansOf = (s: Step) => (run.spans ?? []).filter((x) => x.step_id === s.step_id && x.attempt === s.attempt && s.kind === "step");
  return (
    <div>
      <div className="timeline" style={{ marginBottom: 0 }}>
        <div className="step" aria-hidden="true">
          <span />
          <span className="axis">
            {ticks(span).map((t) => (
              <span key={t} style={{ left: `${(t / span) * 100}%` }}>
                +{formatDuration(t)}
              </span>
            ))}
          </span>
          <span />
        </div>
      </div>
      <ol className="timeline" style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Trace">
        {rows.map((s) => {
          const from = Date.parse(s.started_at ?? "") - start;
          const length = endOf(s) - Date.parse(s.started_at ?? "");
          const status = s.status.toUpperCase();
          const name = s.name ?? KIND_LABEL[s.kind] ?? s.kind;
          const backoff = backoffs.get(s.id);
          const hover = [
            `${name} (${KIND_LABEL[s.kind] ?? s.kind}), attempt ${s.attempt + 1}: ${s.status}`,
            `started ${formatTime(s.started_at)} (+${formatDuration(from)})`,
            s.ended_at ? `ended ${formatTime(s.ended_at)} after ${formatDuration(length)}` : "still open",
          ].join("\n");
          return (
            <li key={s.id} className="step" data-trace-kind={s.kind} data-step={name} data-step-status={status}>
              <span>
                {name}
                {s.kind !== "step" ? <span className="muted"> ({KIND_LABEL[s.kind] ?? s.kind})</span> : null}
                {s.attempt > 0 ? (
                  <span className="muted" data-testid="retry-label">
                    {" "}
                    · retry {s.attempt}
                    {backoff ? ` in ${formatDuration(backoff.ms)}` : ""}
                  </span>
                ) : null}
                {(s.detail as { from_run?: string } | null)?.from_run ? <span className="muted"> · reused</span> : null}
              </span>
              <span className="track" role="img" aria-label={`${name}: ${s.status}, ${formatDuration(length)}`} title={hover}>
                {backoff ? (
                  <span
                    className="gap"
                    style={{ left: `${((backoff.from - start) / span) * 100}%`, width: `${(backoff.ms / span) * 100}%` }}
                  />
                ) : null}
                <span
                  className={`bar ${status === "WAITING" || !s.ended_at ? "RUNNING" : status === "ERRORED" ? "ERRORED" : status}`}
                  style={{ left: `${(from / span) * 100}%`, width: `${Math.max((length / span) * 100, 0.5)}%` }}
                />
              </span>
              <span className="muted">
                {s.status} · {formatDuration(length)}
              </span>
              <StepSpans spans={spansOf(s)} start={start} span={span} now={now} />
              <StepLogLines lines={lines.get(stepKey(run.run_id, s.step_id, s.attempt))} />
              {s.error ? (
                <div style={{ gridColumn: "1 / -1" }}>
                  <PlacedError error={s.error} placement={errors?.get(s.id)} label={`${name} error`} />
                </div>
              ) : null}
              {!s.error && s.output !== null && s.output !== undefined ? (
                <details style={{ gridColumn: "1 / -1" }}>
                  <summary>Output</summary>
                  {/* biome-ignore lint/a11y/noNoninteractiveTabindex: long output scrolls; keyboard users need focus to scroll it */}
                  <pre tabIndex={0}>{JSON.stringify(s.output, null, 2)}</pre>
                </details>
              ) : null}
            </li>
          );
        })}
      </ol>
    </div>
  );
}
