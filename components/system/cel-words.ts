/**
 * Inngest's CEL expressions (keys, idempotency, `if`) as words people read: `event.data.orgId` is "the
 * organization", `a == true ? event.id : event.data.taskId` is "taskId (each event on its own when force is true)".
 * What it cannot put in words it leaves as the expression itself.
 */

/** Names the app's events carry, in words. */
const KNOWN: Record<string, string> = {
  "event.data.orgId": "organization",
  "event.data.userId": "user",
  "event.data.host": "host",
  "event.id": "event",
};

/** A path such as `event.data.taskId` or `async.data.jobId` as a word; null when the text is not a plain path. */
function pathWords(text: string): string | null {
  const t = text.trim();
  if (KNOWN[t]) return KNOWN[t] as string;
  const data = /^event\.data\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$/.exec(t);
  if (data) return data[1] as string;
  if (/^event\.ts$/.test(t)) return "the event's time";
  return null;
}

/** A condition `x == true`, `x == "v"`, `x` as words. */
function conditionWords(text: string): string | null {
  const eq = /^(.+?)\s*==\s*(.+)$/.exec(text.trim());
  if (eq) {
    const left = pathWords(eq[1] as string);
    const right = (eq[2] as string).trim();
    if (!left) return null;
    if (right === "true") return `${left} is true`;
    if (right === "false") return `${left} is false`;
    if (/^"[^"]*"$|^'[^']*'$|^-?\d+(\.\d+)?$/.test(right)) return `${left} is ${right}`;
    const other = pathWords(right);
    return other ? `${left} equals ${other}` : null;
  }
  const bare = pathWords(text);
  return bare ? `${bare} is set` : null;
}

export function celInWords(expr: string): string {
  const text = expr.trim();
  const plain = pathWords(text);
  if (plain) return plain;
  // cond ? a : b
  const ternary = /^(.+?)\s*\?\s*(.+?)\s*:\s*(.+)$/.exec(text);
  if (ternary) {
    const cond = conditionWords(ternary[1] as string);
    const yes = pathWords(ternary[2] as string);
    const no = pathWords(ternary[3] as string);
    if (cond && yes && no) return `${no} (${yes === "event" ? "each event on its own" : yes} when ${cond})`;
  }
  // The same job: `event.data.jobId == async.data.jobId && event.data.orgId == async.data.orgId`
  const sides = text.split(/\s*&&\s*/);
  const same = sides.map((s) => /^event\.data\.(\w+)\s*==\s*async\.data\.(\w+)$/.exec(s)).filter((m) => m && m[1] === m[2]);
  if (sides.length > 0 && same.length === sides.length) {
    return `the same ${same.map((m) => (m?.[1] === "orgId" ? "organization" : m?.[1] === "jobId" ? "job" : m?.[1])).join(" and ")}`;
  }
  // A time window: string(int(event.ts / N))
  const window = /^string\(int\(event\.ts\s*\/\s*(\d+)\)\)$/.exec(text);
  if (window) {
    const ms = Number(window[1]);
    const span = ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
    return `${span} window of the event's time`;
  }
  return expr;
}
