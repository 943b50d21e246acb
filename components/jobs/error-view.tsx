/** An error as the console shows it everywhere: name and message first, then the stack as lines. */
export interface ShownError {
  name?: string;
  message?: string;
  stack?: string;
}

/**
 * A frame of the framework or the runtime (folded), as opposed to the app's own code (highlighted). Jobdeck's own
 * Inngest middleware (job tracking, step logs, source maps) wraps every step, so it is plumbing too. `<anonymous>` is
 * the runtime only as a frame's *location* (eval, native code): `at <anonymous> (inngest/jobs/demo-task.ts:36:17)`,
 * how a step callback reads in the functions worker, is the app's own.
 */
const FRAMEWORK =
  /node_modules|node:internal|\(node:|\(<anonymous>\)|^at <anonymous>$|\/\.next\/server\/chunks\/[^/]*node_modules|(^|[\s(/])inngest\/middleware\//;

/** Any stored error value (the SDK's serialized error, the engine's `{error}`, a string) as name, message, stack. */
export function toShownError(value: unknown): ShownError | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return { name: "Error", message: value };
  if (typeof value === "object") {
    const v = value as Record<string, unknown>;
    if (typeof v.message === "string")
      return {
        name: typeof v.name === "string" ? v.name : "Error",
        message: v.message,
        stack: typeof v.stack === "string" ? v.stack : undefined,
      };
    if (typeof v.error === "string")
      return {
        name: typeof v.name === "string" ? v.name : "Error",
        message: v.error,
        stack: typeof v.stack === "string" ? v.stack : undefined,
      };
  }
  return { name: "Error", message: JSON.stringify(value) };
}

/**
 * What makes two errors "the same error" on one page: the name, and the message and stack with their numbers
 * masked, since a retried step's message often counts its attempt ("failed (attempt 3)"). Null for no error.
 */
export function errorGroupKey(value: unknown): string | null {
  const e = toShownError(value);
  if (!e) return null;
  const mask = (text: string | undefined) => (text ?? "").replace(/\d+/g, "#");
  return `${e.name}\n${mask(e.message)}\n${mask(e.stack?.split("\n").slice(1).join("\n"))}`;
}

export type ErrorPlacement = { show: "full"; seenOn: string[] } | { show: "same-as"; as: string };

/**
 * Where each row's error is shown on a page: the first row of each group of the same error in full, with the list
 * of where it happened; the other rows point at it. A group that `shownAbove` already shows (the job's own error)
 * is pointed at from every row, and `aboveSeenOn` gets that group's list.
 */
export function placeErrors(
  rows: Array<{ id: string; error: unknown; label: string }>,
  shownAbove?: { error: unknown; label: string },
): { placements: Map<string, ErrorPlacement>; aboveSeenOn: string[] } {
  const aboveKey = shownAbove ? errorGroupKey(shownAbove.error) : null;
  const groups = new Map<string, Array<{ id: string; label: string }>>();
  for (const r of rows) {
    const key = errorGroupKey(r.error);
    if (key) groups.set(key, [...(groups.get(key) ?? []), { id: r.id, label: r.label }]);
  }
  const placements = new Map<string, ErrorPlacement>();
  let aboveSeenOn: string[] = [];
  for (const [key, members] of groups) {
    const seenOn = members.map((m) => m.label);
    if (key === aboveKey) {
      aboveSeenOn = seenOn;
      for (const m of members) placements.set(m.id, { show: "same-as", as: shownAbove?.label ?? "above" });
      continue;
    }
    const [first, ...rest] = members as [{ id: string; label: string }, ...Array<{ id: string; label: string }>];
    placements.set(first.id, { show: "full", seenOn });
    for (const m of rest) placements.set(m.id, { show: "same-as", as: first.label });
  }
  return { placements, aboveSeenOn };
}

/** A row's error where placeErrors put it: in full, or one line naming where it is shown. */
export function PlacedError({ error, placement, label }: { error: unknown; placement: ErrorPlacement | undefined; label: string }) {
  if (placement?.show === "same-as") {
    return (
      <p className="muted" data-testid="same-error">
        Failed with the same error as {placement.as}.
      </p>
    );
  }
  return <ErrorView error={error} label={label} quiet seenOn={placement?.seenOn} />;
}

/** Splits a stack into its frames, grouping consecutive framework frames so they fold into one line. */
export function stackFrames(stack: string): Array<{ app: boolean; lines: string[] }> {
  const out: Array<{ app: boolean; lines: string[] }> = [];
  // The first line repeats "Name: message", already shown above.
  for (const raw of stack.split("\n").slice(1)) {
    const line = raw.trim();
    if (!line) continue;
    const app = !FRAMEWORK.test(line);
    const last = out.at(-1);
    if (last && !app && !last.app) last.lines.push(line);
    else out.push({ app, lines: [line] });
  }
  return out;
}

/**
 * `quiet`: not announced as an alert (a step's error inside a timeline, where the job's own error already is).
 * `seenOn`: where the same error happened too (it is shown once, with this list, instead of once per attempt).
 */
export function ErrorView({
  error,
  label = "Error",
  quiet = false,
  seenOn,
}: {
  error: unknown;
  label?: string;
  quiet?: boolean;
  seenOn?: string[];
}) {
  const e = toShownError(error);
  if (!e) return null;
  return (
    <section className="alert error-view" role={quiet ? undefined : "alert"} aria-label={label}>
      <div>
        <strong data-testid="error-name">{e.name ?? "Error"}</strong>: <span data-testid="error-message">{e.message}</span>
      </div>
      {seenOn && seenOn.length > 1 ? (
        <p className="muted" data-testid="error-seen-on">
          Happened {seenOn.length} times: {seenOn.join(", ")}
        </p>
      ) : null}
      {e.stack ? (
        <ol className="stack" aria-label="Stack">
          {stackFrames(e.stack).map((f, i) =>
            f.app ? (
              // biome-ignore lint/suspicious/noArrayIndexKey: frames have no identity but their place
              <li key={i} className="app-frame">
                <code>{f.lines[0]}</code>
              </li>
            ) : (
              // biome-ignore lint/suspicious/noArrayIndexKey: frames have no identity but their place
              <li key={i} className="framework-frames">
                <details>
                  <summary>
                    {f.lines.length} framework frame{f.lines.length === 1 ? "" : "s"}
                  </summary>
                  {f.lines.map((l, j) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: as above
                    <code key={j}>{l}</code>
                  ))}
                </details>
              </li>
            ),
          )}
        </ol>
      ) : null}
    </section>
  );
}
