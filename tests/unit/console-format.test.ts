import { describe, expect, it } from "vitest";
import { z } from "zod";
import { stackFrames, toShownError } from "../../components/jobs/error-view.js";
import { formatDuration, formatRelative } from "../../components/jobs/format.js";
import { waitingKind } from "../../components/jobs/status-badge.js";
import { backoffsOf } from "../../components/runs/backoff.js";
import { waitKindOf } from "../../components/runs/run-status.js";
import { celInWords } from "../../components/system/cel-words.js";
import { describeFlow } from "../../components/system/flow-text.js";
import { AppError } from "../../server/errors.js";
import { parseLogQuery } from "../../server/services/logs/search-logs.js";
import { parseInput } from "../../server/services/validate.js";

describe("the console's formats", () => {
  it("keeps an anonymous step callback of the app's own file as an app frame, and folds the runtime's", () => {
    const stack = [
      "Error: simulated failure",
      "    at <anonymous> (inngest/jobs/demo-task.ts:36:17)",
      "    at Object.fn (node_modules/src/components/InngestStepTools.ts:455:38)",
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
      "    at eval (<anonymous>)",
      "    at async JobTracking.wrapStepHandler (inngest/middleware/job-tracking.ts:130:16)",
    ].join("\n");
    expect(stackFrames(stack)).toEqual([
      { app: true, lines: ["at <anonymous> (inngest/jobs/demo-task.ts:36:17)"] },
      {
        app: false,
        lines: [
          "at Object.fn (node_modules/src/components/InngestStepTools.ts:455:38)",
          "at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
          "at eval (<anonymous>)",
          "at async JobTracking.wrapStepHandler (inngest/middleware/job-tracking.ts:130:16)",
        ],
      },
    ]);
  });

  it("never reads a duration as 60 s or 1 min 60 s", () => {
    expect(formatDuration(59_960)).toBe("1 min 0 s");
    expect(formatDuration(59_940)).toBe("59.9 s");
    expect(formatDuration(9_999)).toBe("10.00 s");
    expect(formatDuration(119_600)).toBe("2 min 0 s");
    expect(formatDuration(3_599_700)).toBe("1 h 0 min");
    expect(formatDuration(450)).toBe("450 ms");
    expect(formatDuration(null)).toBe("–");
    expect(formatDuration(Number.NaN)).toBe("–");
  });

  it("says how long ago a time was, or how soon it is", () => {
    const now = Date.parse("2026-12-02T12:00:00Z");
    expect(formatRelative("2026-12-02T11:59:48Z", now)).toBe("12 s ago");
    expect(formatRelative("2026-12-02T12:03:00Z", now)).toBe("in 3 min");
    expect(formatRelative("2026-12-02T12:00:00.500Z", now)).toBe("just now");
    expect(formatRelative("2026-11-28T12:00:00Z", now)).toBe("4 d ago");
    expect(formatRelative("not a date", now)).toBe("–");
  });

  it("names what a WAITING job or run waits for", () => {
    const job = (kind: string, error: unknown = null) => ({ status: "WAITING", error, steps: [{ kind, status: "RUNNING" }] });
    expect(waitingKind(job("SLEEP"))).toBe("sleep");
    expect(waitingKind(job("WAIT_FOR_EVENT"))).toBe("event");
    expect(waitingKind(job("INVOKE"))).toBe("invoke");
    expect(waitingKind({ status: "WAITING", error: { message: "boom" }, steps: [] })).toBe("retry backoff");
    expect(waitingKind({ status: "RUNNING", error: null, steps: [] })).toBeNull();
    expect(waitKindOf({ reason: "retry 1 of 3 at …" })).toBe("retry backoff");
    expect(waitKindOf({ reason: "sleeping until …" })).toBe("sleep");
    expect(waitKindOf({ reason: "concurrency fn full 10/10" })).toBe("concurrency");
    expect(waitKindOf({ reason: "waiting for a slot: org_a runs 10 of its 10" })).toBe("concurrency");
  });

  it("writes flow control in words", () => {
    expect(
      describeFlow({
        concurrency: [{ limit: 10 }, { limit: 3, key: "event.data.orgId" }],
        throttle: { limit: 100, period: "1m", burst: 10 },
        idempotency: "event.data.taskId",
        priority: null,
        rateLimit: undefined,
      }),
    ).toEqual([
      "at most 10 running",
      "at most 3 running per organization",
      "starts at most 100 per 1m (bursts of 10)",
      "one run per taskId in 24 h",
    ]);
    // A registered (not listed) config has concurrency as one object.
    expect(describeFlow({ concurrency: { limit: 1, key: "event.data.userId" } })).toEqual(["at most 1 running per user"]);
  });

  it("measures the backoff before each retry of a step, from the failed attempt's end to the retry's start", () => {
    const rows = [
      { id: "a0", step: "s1", attempt: 0, start: "2026-12-07T10:00:00.000Z", end: "2026-12-07T10:00:01.000Z" },
      { id: "b0", step: "s2", attempt: 0, start: "2026-12-07T10:00:01.000Z", end: "2026-12-07T10:00:01.500Z" },
      { id: "b1", step: "s2", attempt: 1, start: "2026-12-07T10:00:05.500Z", end: "2026-12-07T10:00:06.000Z" },
      { id: "b2", step: "s2", attempt: 2, start: "2026-12-07T10:00:14.000Z", end: null },
      { id: "c1", step: "s3", attempt: 1, start: "2026-12-07T10:00:20.000Z", end: null }, // its first try is not listed
    ];
    const b = backoffsOf(rows, (r) => r);
    expect([...b.keys()]).toEqual(["b1", "b2"]);
    expect(b.get("b1")?.ms).toBe(4_000);
    expect(b.get("b2")?.ms).toBe(8_000);
  });

  it("puts the functions' CEL in words, and leaves what it cannot read as written", () => {
    expect(celInWords("event.data.force == true ? event.id : event.data.taskId")).toBe("taskId (each event on its own when force is true)");
    expect(celInWords("event.data.jobId == async.data.jobId && event.data.orgId == async.data.orgId")).toBe(
      "the same job and organization",
    );
    expect(celInWords("string(int(event.ts / 3600000))")).toBe("1 h window of the event's time");
    expect(celInWords("event.data.priority")).toBe("priority");
    expect(
      describeFlow({ idempotency: "event.data.force == true ? event.id : event.data.taskId", priority: { run: "event.data.priority" } }),
    ).toEqual(["one run per taskId (each event on its own when force is true) in 24 h", "priority from the event's priority"]);
    expect(celInWords("size(event.data.items) > 2")).toBe("size(event.data.items) > 2");
  });

  it("shows any stored error as name and message", () => {
    expect(toShownError({ name: "TypeError", message: "bad", stack: "TypeError: bad\n at x" })).toMatchObject({
      name: "TypeError",
      message: "bad",
    });
    expect(toShownError({ error: "function timed out" })).toMatchObject({ name: "Error", message: "function timed out" });
    expect(toShownError("plain")).toEqual({ name: "Error", message: "plain" });
    expect(toShownError(null)).toBeNull();
  });
});

describe("inputs people type", () => {
  it("says 'required' for a missing required field, not zod's type message", () => {
    try {
      parseInput(z.object({ email: z.string(), n: z.number().max(3) }), { n: 9 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      const details = (err as AppError).details ?? [];
      expect(details.find((d) => d.path === "email")?.message).toBe("required");
      expect(details.find((d) => d.path === "n")?.message).not.toBe("required");
    }
  });

  it("reads a log query's level, run and function filters, and refuses an unknown level", () => {
    expect(parseLogQuery("level:ERROR ada@example.com run:01ABC fn:jobdeck-demo-task timeout")).toEqual({
      level: "error",
      runId: "01ABC",
      functionId: "jobdeck-demo-task",
      words: "ada@example.com timeout",
    });
    expect(() => parseLogQuery("level:loud")).toThrow(/level: "loud" is not debug, info, warn or error/);
    expect(parseLogQuery("")).toEqual({ words: "" });
  });
});
