import { Cron } from "croner";
import type { Scope } from "../../identity";
import { type RunSummary, runsApi } from "../runs/engine-runs";
import { type FunctionView, v1 } from "./inngest-admin";

/** One cron trigger of one function, as the Schedules page shows it. */
export interface ScheduleView {
  functionId: string;
  functionName: string;
  /** The trigger as the function declares it ("TZ=Europe/Paris 0 9 * * 1-5", "@every 30s", "* * * * *"). */
  cron: string;
  /** The time zone its times are reckoned in ("UTC" when it names none). */
  timeZone: string;
  /** The next fire times, soonest first (empty when the expression never fires again or cannot be read). */
  next: string[];
  /** Why no next times could be reckoned, when none could. */
  problem: string | null;
  paused: boolean;
  /** The function's latest run (operators: runs of system functions are theirs to see). */
  lastRun: { runId: string; status: string; startedAt: string | null; endedAt: string | null } | null;
}

/** How many upcoming times each schedule lists. */
const NEXT_COUNT = 3;

/**
 * The next fire times of an Inngest cron: five fields or a nickname (@hourly…) with an optional `TZ=Area/City `
 * prefix, or `@every <duration>` (Inngest's extension, fired on multiples of the interval since the epoch).
 */
export function nextFireTimes(expr: string, after: Date, count = NEXT_COUNT): { timeZone: string; next: Date[] } {
  let text = expr.trim();
  let timeZone = "UTC";
  const tz = /^(?:CRON_)?TZ=(\S+)\s+(.*)$/.exec(text);
  if (tz) {
    timeZone = tz[1] as string;
    text = (tz[2] as string).trim();
  }
  const every = /^@every\s+(\d+)(ms|s|m|h|d)$/.exec(text);
  if (every) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[every[2] as "ms"];
    const ms = Number(every[1]) * unit;
    if (ms < 1000) throw new Error(`@every needs at least 1s, got "${every[1]}${every[2]}"`);
    const first = (Math.floor(after.getTime() / ms) + 1) * ms;
    return { timeZone, next: Array.from({ length: count }, (_, i) => new Date(first + i * ms)) };
  }
  if (!text.startsWith("@") && text.split(/\s+/).length !== 5) {
    throw new Error(`"${expr}" must have 5 fields (minute hour day-of-month month day-of-week)`);
  }
  const cron = new Cron(text, { timezone: timeZone, paused: true });
  return { timeZone, next: cron.nextRuns(count, after) };
}

async function lastRunOf(functionId: string): Promise<ScheduleView["lastRun"]> {
  const page = await runsApi<{ data: RunSummary[] }>(`/v1/runs?${new URLSearchParams({ function_id: functionId, limit: "1" })}`).catch(
    () => null,
  );
  const r = page?.data[0];
  return r ? { runId: r.run_id, status: r.status, startedAt: r.run_started_at ?? r.created_at ?? null, endedAt: r.ended_at ?? null } : null;
}

/**
 * Every cron of every function with its next fire times in its own time zone. The runs of a schedule are the
 * installation's (no organization's event starts them), so only an operator is shown the last one.
 */
export async function listSchedules(_scope: Scope, operator: boolean, now = new Date()): Promise<ScheduleView[]> {
  const fns = await v1<FunctionView[]>("/v1/functions");
  const crons = fns.flatMap((fn) => fn.triggers.flatMap((t) => (t.cron ? [{ fn, cron: t.cron }] : [])));
  // One lookup per schedule, side by side rather than one after another.
  const lastRuns = operator ? await Promise.all(crons.map(({ fn }) => lastRunOf(fn.id))) : [];
  const out: ScheduleView[] = crons.map(({ fn, cron }, i) => {
    let next: string[] = [];
    let timeZone = "UTC";
    let problem: string | null = null;
    try {
      const reckoned = nextFireTimes(cron, now);
      timeZone = reckoned.timeZone;
      next = reckoned.next.map((d) => d.toISOString());
    } catch (err) {
      problem = (err as Error).message;
    }
    return { functionId: fn.id, functionName: fn.name, cron, timeZone, next, problem, paused: fn.paused, lastRun: lastRuns[i] ?? null };
  });
  // Soonest first; a schedule that never fires again last.
  return out.sort((a, b) => (a.next[0] ?? "~").localeCompare(b.next[0] ?? "~"));
}
