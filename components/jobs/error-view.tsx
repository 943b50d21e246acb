/** An error as the console shows it everywhere: name and message first, then the stack as lines. */
export interface ShownError {
  name?: string;
  message?: string;
  stack?: string;
}

/** A frame of the framework or the runtime (folded), as opposed to the app's own code (highlighted). */
const FRAMEWORK = /node_modules|node:internal|\(node:|<anonymous>|\/\.next\/server\/chunks\/[^/]*node_modules/;

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

/** Splits a stack into its frames, grouping consecutive framework frames so they fold into one line. */
function frames(stack: string): Array<{ app: boolean; lines: string[] }> {
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

/** `quiet`: not announced as an alert (a step's error inside a timeline, where the job's own error already is). */
export function ErrorView({ error, label = "Error", quiet = false }: { error: unknown; label?: string; quiet?: boolean }) {
  const e = toShownError(error);
  if (!e) return null;
  return (
    <section className="alert error-view" role={quiet ? undefined : "alert"} aria-label={label}>
      <div>
        <strong data-testid="error-name">{e.name ?? "Error"}</strong>: <span data-testid="error-message">{e.message}</span>
      </div>
      {e.stack ? (
        <ol className="stack" aria-label="Stack">
          {frames(e.stack).map((f, i) =>
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
