import { inspect } from "node:util";
import { db } from "../../db";

/** The most one step attempt (or a request's lines outside any step) keeps, then one "truncated" line. */
export const MAX_LINES_PER_STEP = 1_000;
export const MAX_BYTES_PER_STEP = 256 * 1024;
/** One line's cap: a huge object logged once does not take the whole step's allowance. */
const MAX_LINE_BYTES = 16 * 1024;

export type LogLevel = "debug" | "info" | "warn" | "error";

/** The run a request serves, as its lines are stored. */
export interface LogRun {
  orgId: string | null;
  jobId: string | null;
  runId: string;
  functionId: string;
}

/** Where a line was logged: a step attempt, or the function body outside any step (stepId null). */
export interface LogPlace {
  stepId: string | null;
  stepName: string | null;
  attempt: number;
}

interface Line extends LogPlace {
  level: LogLevel;
  message: string;
  at: Date;
}

/** Arguments as one line of text, the way console.log prints them (strings as is, objects inspected). */
export function formatLogArgs(args: readonly unknown[]): string {
  return args
    .map((a) =>
      typeof a === "string"
        ? a
        : a instanceof Error
          ? (a.stack ?? `${a.name}: ${a.message}`)
          : inspect(a, { depth: 4, breakLength: Infinity }),
    )
    .join(" ");
}

/** Cuts text to at most `max` bytes of UTF-8 without splitting a character. */
function clip(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  return `${Buffer.from(text)
    .subarray(0, max)
    .toString("utf8")
    .replace(/\uFFFD$/, "")}…`;
}

/** How soon lines logged during a long step are written, rather than when its request ends. */
export const LOG_FLUSH_DELAY_MS = 1_000;

/**
 * The lines one request logs, bounded per step attempt, written in one statement when the request ends or, while a
 * long step runs, a second after the first unwritten line (a log line never costs a round trip of its own, and
 * logging can never fail a step).
 */
export class LogBuffer {
  private readonly lines: Line[] = [];
  private readonly used = new Map<string, { lines: number; bytes: number; cut: boolean }>();
  private timer?: NodeJS.Timeout;

  constructor(
    readonly run: LogRun,
    private readonly onFlushError: (err: unknown) => void = () => {},
  ) {}

  private push(line: Line): void {
    this.lines.push(line);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(this.onFlushError);
    }, LOG_FLUSH_DELAY_MS);
    this.timer.unref();
  }

  add(place: LogPlace, level: LogLevel, args: readonly unknown[]): void {
    const key = `${place.stepId ?? ""}:${place.attempt}`;
    const use = this.used.get(key) ?? { lines: 0, bytes: 0, cut: false };
    this.used.set(key, use);
    if (use.cut) return;
    // PostgreSQL text cannot hold NUL.
    const message = clip(formatLogArgs(args).replaceAll("\u0000", "\uFFFD"), MAX_LINE_BYTES);
    const bytes = Buffer.byteLength(message);
    if (use.lines >= MAX_LINES_PER_STEP || use.bytes + bytes > MAX_BYTES_PER_STEP) {
      use.cut = true;
      const why = use.lines >= MAX_LINES_PER_STEP ? `${MAX_LINES_PER_STEP} lines` : `${MAX_BYTES_PER_STEP / 1024} KB`;
      this.lines.push({
        ...place,
        level: "warn",
        message: `truncated: this step attempt logged more than ${why}; later lines were dropped`,
        at: new Date(),
      });
      return;
    }
    use.lines++;
    use.bytes += bytes;
    this.push({ ...place, level, message, at: new Date() });
  }

  get size(): number {
    return this.lines.length;
  }

  /** Writes the lines not yet written (taken from the buffer first, so flushes never write a line twice). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.lines.length) return;
    const rows = this.lines.splice(0).map((l) => ({ ...this.run, ...l }));
    await db().stepLog.createMany({ data: rows });
  }
}
