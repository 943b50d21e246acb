import { describe, expect, it } from "vitest";
import { decideRetry, type FailedAttempt, RetrySystem } from "../../src/runs/retry.js";
import type { TraceOutcome, TraceStep } from "../../src/runs/trace.js";
import type { QueueItem } from "../../src/types.js";
import { Unit } from "../../src/unit.js";
import { ManualClock } from "../support/manual-clock.js";

/** runs/retry.ts: when a failed attempt is tried again (decideRetry), and what trying again does (RetrySystem). */

describe("decideRetry", () => {
  const now = 1_000_000;
  const base = { attempt: 0, maxAttempts: 5, retriable: true, backoff: 250 as const, now };

  it("retries while attempts are left, after the backoff", () => {
    expect(decideRetry(base)).toEqual({ retry: true, at: now + 250 });
    expect(decideRetry({ ...base, attempt: 3 })).toEqual({ retry: true, at: now + 250 });
  });

  it("gives up on the last attempt, and at once with no retries configured", () => {
    expect(decideRetry({ ...base, attempt: 4 })).toEqual({ retry: false });
    expect(decideRetry({ ...base, maxAttempts: 1 })).toEqual({ retry: false });
  });

  it("never retries a failure that is not retriable (NonRetriableError, a refused destination)", () => {
    expect(decideRetry({ ...base, retriable: false })).toEqual({ retry: false });
  });

  it("waits the app's retry-after instead of the backoff", () => {
    expect(decideRetry({ ...base, retryAfterMs: 30_000 })).toEqual({ retry: true, at: now + 30_000 });
  });

  it("follows the configured backoff: Inngest's table, fast doubling, or fixed", () => {
    const inngest = decideRetry({ ...base, backoff: "inngest" });
    expect(inngest.retry && inngest.at - now).toBeGreaterThanOrEqual(15_000);
    expect(decideRetry({ ...base, attempt: 3, backoff: "fast" })).toEqual({ retry: true, at: now + 8000 });
    expect(decideRetry({ ...base, attempt: 3, backoff: 2000 })).toEqual({ retry: true, at: now + 2000 });
  });
});

describe("RetrySystem: acting on the decision", () => {
  function rig(backoff: 250 | "fast" = 250) {
    const clock = new ManualClock();
    const traced: Array<{ step: TraceStep; outcome: TraceOutcome }> = [];
    const queued: Array<{ u: Unit; runId: string; kind: string; stepId: string; opts: Record<string, unknown> }> = [];
    const retry = new RetrySystem({
      clock,
      backoff,
      trace: {
        record: (step, outcome) => {
          traced.push({ step, outcome });
          return { ...step, ...outcome, id: "h" };
        },
      },
      queue: {
        enqueue: (u, run, kind, stepId, opts = {}) => {
          queued.push({ u, runId: run.id, kind, stepId, opts });
          return {} as QueueItem;
        },
      },
    });
    return { clock, traced, queued, retry };
  }
  const run = { id: "run-1", fnSlug: "app-f", createdAt: 0, priority: 0, concurrency: [] };
  const item = { id: "item-1", runId: "run-1", stepId: "hash-1", attempt: 1, isStart: false } as QueueItem;
  const step: TraceStep = { runId: "run-1", kind: "step", stepHash: "hash-1", attempt: 1, startedAt: 5, endedAt: 6 };
  const failed = (extra: Partial<FailedAttempt> = {}): FailedAttempt => ({
    item,
    kind: "exec",
    step,
    error: { name: "Error", message: "boom" },
    maxAttempts: 4,
    retriable: true,
    ...extra,
  });

  it("records the attempt as errored and queues attempt + 1 at the decided time, waiting with reason retry", () => {
    const { clock, traced, queued, retry } = rig();
    const u = new Unit();
    expect(retry.retry(u, run, failed({ data: { jobId: "j1" }, isStart: true }))).toBe(true);
    expect(traced).toEqual([{ step, outcome: { status: "errored", error: { name: "Error", message: "boom" } } }]);
    const at = clock.now() + 250;
    expect(queued).toEqual([
      {
        u,
        runId: "run-1",
        kind: "exec",
        stepId: "hash-1",
        opts: { attempt: 2, at, isStart: true, data: { jobId: "j1" }, wait: { reason: "retry", until: at, maxAttempts: 4 } },
      },
    ]);
  });

  it("reads the time from the injected clock when it decides", () => {
    const { clock, queued, retry } = rig();
    clock.advance(60_000);
    retry.retry(new Unit(), run, failed());
    expect(queued[0]?.opts.at).toBe(clock.now() + 250);
  });

  it("queues the same kind of item again (step.fetch is retried as a gateway item) after the app's retry-after", () => {
    const { clock, queued, retry } = rig("fast");
    expect(retry.retry(new Unit(), run, failed({ kind: "gateway", retryAfterMs: 5000 }))).toBe(true);
    expect(queued[0]).toMatchObject({ kind: "gateway", opts: { attempt: 2, at: clock.now() + 5000 } });
  });

  it("says no retry and records nothing, so the caller fails its own way", () => {
    const { traced, queued, retry } = rig();
    expect(retry.retry(new Unit(), run, failed({ retriable: false }))).toBe(false);
    expect(retry.retry(new Unit(), run, failed({ item: { ...item, attempt: 3 } }))).toBe(false);
    expect(traced).toEqual([]);
    expect(queued).toEqual([]);
  });
});
