import { formatDuration } from "../jobs/format";
import type { RouterOutputs } from "../trpc";

type Span = NonNullable<RouterOutputs["run"]["byId"]["spans"]>[number];

/** At most this many spans are drawn under one step (a loop of queries can make thousands). */
const MAX_SPANS_PER_STEP = 200;

/** The step's spans as a tree, in start order: each with its depth under the step. */
function treeOf(spans: Span[]): Array<{ span: Span; depth: number }> {
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string | null, Span[]>();
  for (const s of spans) {
    // A span whose parent is not among them (made directly in the step, or its parent never arrived) is a root.
    const parent = s.parent_span_id && ids.has(s.parent_span_id) ? s.parent_span_id : null;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const out: Array<{ span: Span; depth: number }> = [];
  const walk = (parent: string | null, depth: number) => {
    for (const s of (children.get(parent) ?? []).sort((a, b) => a.started_at.localeCompare(b.started_at))) {
      if (out.length >= MAX_SPANS_PER_STEP) return;
      out.push({ span: s, depth });
      walk(s.span_id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

const hoverOf = (s: Span) =>
  [
    `${s.name}: ${s.status}${s.status_message ? ` (${s.status_message})` : ""}, ${formatDuration(s.duration_ms ?? 0)}`,
    ...Object.entries(s.attributes)
      .slice(0, 12)
      .map(([k, v]) => `${k}: ${typeof v === "string" ? v.slice(0, 200) : JSON.stringify(v)}`),
  ].join("\n");

/**
 * The spans the app's code made inside one step attempt (its own, and instrumented PostgreSQL and fetch calls), nested
 * as they were made, on the trace's time axis.
 */
export function StepSpans({ spans, start, span: axis, now }: { spans: Span[]; start: number; span: number; now: number }) {
  if (!spans.length) return null;
  return (
    <ol className="spans" aria-label="Spans" style={{ gridColumn: "1 / -1" }}>
      {treeOf(spans).map(({ span: s, depth }) => {
        const from = Date.parse(s.started_at) - start;
        const length = (s.ended_at ? Date.parse(s.ended_at) : now) - Date.parse(s.started_at);
        return (
          <li key={s.span_id} className="step" data-span={s.name} data-span-depth={depth}>
            <span style={{ paddingLeft: `${0.8 + depth * 0.8}rem` }} className="span-name">
              {s.name}
            </span>
            <span className="track" role="img" aria-label={`${s.name}: ${formatDuration(length)}`} title={hoverOf(s)}>
              <span
                className={`bar span ${s.status === "error" ? "ERRORED" : "COMPLETED"}`}
                style={{ left: `${(from / axis) * 100}%`, width: `${Math.max((length / axis) * 100, 0.3)}%` }}
              />
            </span>
            <span className="muted">{formatDuration(length)}</span>
          </li>
        );
      })}
    </ol>
  );
}
