import { type Core, Unit } from "../core.js";
import { asError, classify, type Op, type Outcome, type SerializedError } from "../protocol/response.js";
import type { FetchResult } from "../protocol/sdk-client.js";
import type { FnDef } from "../registry.js";
import { appUnreachable } from "../sync/app-availability.js";
import { ENDED, type HistoryRow, type QueueItem, type RunState } from "../types.js";
import { MAX_WAIT_MS, parseDeadline } from "../util/duration.js";
import { ulid } from "../util/ulid.js";

const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
const PREVIEW_BYTES = 64 * 1024;

/** Step output kept in the trace: the whole value when small, a truncated JSON string otherwise. */
function preview(v: unknown): unknown {
  if (v === undefined) return null;
  const text = JSON.stringify(v);
  if (text === undefined || text.length <= PREVIEW_BYTES) return v;
  return { truncated: true, bytes: text.length, preview: text.slice(0, PREVIEW_BYTES) };
}

/**
 * When a step ran, from the SDK's Go-style interval: `a` is the start and `b` the duration, both in nanoseconds.
 * Returns epoch milliseconds, or undefined when the SDK sent nothing plausible.
 */
export function opTiming(op: Op): { a: number; b: number } | undefined {
  const t = (op as { timing?: { a?: unknown; b?: unknown } }).timing;
  if (!t || typeof t.a !== "number" || typeof t.b !== "number" || t.a <= 0 || t.b < 0) return undefined;
  const start = Math.round(t.a / 1e6);
  return { a: start, b: start + Math.round(t.b / 1e6) };
}

/**
 * step.ai.infer's AIGateway op carries {url, headers, auth_key, format, body}: a JSON POST to the provider with
 * the key in the header that provider's format expects.
 */
function aiRequest(raw: unknown): { url?: string; method: string; headers: Record<string, string>; body?: unknown } {
  const o = (raw ?? {}) as { url?: string; headers?: Record<string, string>; auth_key?: string; format?: string; body?: unknown };
  const headers: Record<string, string> = { "content-type": "application/json", ...(o.headers ?? {}) };
  if (o.auth_key) {
    if (o.format === "anthropic") headers["x-api-key"] = o.auth_key;
    else if (o.format === "gemini") headers["x-goog-api-key"] = o.auth_key;
    else headers.authorization = `Bearer ${o.auth_key}`;
  }
  return { url: o.url, method: "POST", headers, body: o.body };
}

function stepUrl(base: string, stepId: string): string {
  const u = new URL(base);
  u.searchParams.set("stepId", stepId);
  return u.toString();
}

/**
 * Runs queue items: SDK requests (the classic one-step-per-request protocol), memo resumes, step.fetch calls and
 * cancellations. Every result is journaled and committed before the next item it causes becomes dispatchable.
 */
export class Executor {
  constructor(private readonly core: Core) {}

  async dispatch(item: QueueItem): Promise<void> {
    const c = this.core;
    c.beginDispatch(item.runId);
    try {
      switch (item.kind) {
        case "exec":
          await this.exec(item);
          break;
        case "resume":
          await this.resume(item);
          break;
        case "gateway":
          await this.gateway(item);
          break;
        case "cancel":
          await this.cancel(item);
          break;
      }
    } catch (err) {
      // Typically the database is unreachable. The item's row is still queued, so nothing is lost; try it again.
      c.log.error({ err, runId: item.runId, item: item.kind }, "item failed; retrying in 1s");
      setTimeout(() => c.scheduler.add({ ...item, at: Date.now(), seq: c.scheduler.nextSeq() }), 1000).unref();
    } finally {
      c.endDispatch(item.runId);
    }
  }

  /** Loads the run; an item of an ended or unknown run is simply dropped. */
  private async runFor(item: QueueItem): Promise<RunState | undefined> {
    const run = await this.core.loadRun(item.runId);
    if (run && !ENDED.has(run.status)) return run;
    const u = new Unit();
    this.core.journal.deleteItem(item.id);
    await this.core.commit(u);
    return undefined;
  }

  private async cancel(item: QueueItem): Promise<void> {
    const run = await this.runFor(item);
    if (!run) return;
    const u = new Unit();
    this.core.journal.deleteItem(item.id);
    this.core.cancelRun(u, run, String(item.data?.reason ?? "cancelled"));
    await this.core.commit(u);
  }

  private async resume(item: QueueItem): Promise<void> {
    const run = await this.runFor(item);
    if (!run) return;
    const c = this.core;
    const u = new Unit();
    c.journal.deleteItem(item.id);
    const memo = item.data?.memo ?? null;
    if (c.setMemo(run, item.stepId, memo)) {
      const failed = !!memo && typeof memo === "object" && "error" in memo;
      c.history({
        id: (item.data?.historyId as string | undefined) ?? `${run.id}:${item.stepId}`,
        runId: run.id,
        kind: (item.data?.historyKind as HistoryRow["kind"]) ?? "wait",
        stepHash: item.stepId,
        stepName: item.data?.name as string | undefined,
        attempt: 0,
        status: item.data?.timedOut ? "timed_out" : failed ? "failed" : "completed",
        startedAt: Number(item.data?.startedAt ?? Date.now()),
        endedAt: Date.now(),
        output: failed ? undefined : preview(memo),
        error: failed ? (memo as { error: unknown }).error : undefined,
      });
    }
    run.pending.delete(item.stepId);
    c.journal.saveRun(run);
    c.maybeDiscover(u, run);
    await c.commit(u);
  }

  private async gateway(item: QueueItem): Promise<void> {
    const run = await this.runFor(item);
    if (!run) return;
    const c = this.core;
    const fn = c.registry.get(run.fnSlug);
    const req = (item.data?.ai ? aiRequest(item.data?.request) : (item.data?.request ?? {})) as {
      url?: string;
      method?: string;
      headers?: Record<string, string>;
      body?: unknown;
    };
    const startedAt = Date.now();
    const res = req.url
      ? await c.client.fetch(req.url, {
          method: (req.method ?? "GET").toUpperCase(),
          headers: req.headers ?? {},
          body:
            req.body === undefined || req.body === null ? undefined : typeof req.body === "string" ? req.body : JSON.stringify(req.body),
        })
      : ({ ok: false, error: "step.fetch without a url", refused: true } satisfies FetchResult);
    if (ENDED.has(run.status)) return;
    const u = new Unit();
    c.journal.deleteItem(item.id);
    const name = item.data?.name as string | undefined;
    if (res.ok) {
      let memo: unknown;
      if (item.data?.ai) {
        let body: unknown = res.body;
        try {
          body = JSON.parse(res.body);
        } catch {
          // keep text
        }
        memo = { data: body };
      } else {
        memo = { data: { url: req.url, headers: res.headers, body: res.body, status_code: res.status } };
      }
      c.setMemo(run, item.stepId, memo);
      c.history({
        runId: run.id,
        kind: "gateway",
        stepHash: item.stepId,
        stepName: name,
        attempt: item.attempt,
        status: "completed",
        startedAt,
        endedAt: Date.now(),
        output: preview({ status: res.status }),
      });
      run.pending.delete(item.stepId);
      c.maybeDiscover(u, run);
    } else {
      const error: SerializedError = { name: res.refused ? "OutboundRefused" : "GatewayError", message: res.error };
      const maxAttempts = fn?.maxAttempts ?? 5;
      // A refused destination stays refused: fail the step at once instead of retrying it.
      if (!res.refused && item.attempt + 1 < maxAttempts) {
        const at = Date.now() + c.backoff(item.attempt);
        c.history({
          runId: run.id,
          kind: "gateway",
          stepHash: item.stepId,
          stepName: name,
          attempt: item.attempt,
          status: "errored",
          startedAt,
          endedAt: Date.now(),
          error,
        });
        c.enqueue(u, run, "gateway", item.stepId, {
          attempt: item.attempt + 1,
          at,
          data: item.data,
          wait: { reason: "retry", until: at, maxAttempts },
        });
      } else {
        c.setMemo(run, item.stepId, { error });
        c.history({
          runId: run.id,
          kind: "gateway",
          stepHash: item.stepId,
          stepName: name,
          attempt: item.attempt,
          status: "failed",
          startedAt,
          endedAt: Date.now(),
          error,
        });
        run.pending.delete(item.stepId);
        c.maybeDiscover(u, run);
      }
    }
    c.journal.saveRun(run);
    await c.commit(u);
  }

  private async exec(item: QueueItem): Promise<void> {
    const run = await this.runFor(item);
    if (!run) return;
    const c = this.core;
    const fn = c.registry.get(run.fnSlug);
    if (!fn || fn.archived) {
      const u = new Unit();
      c.journal.deleteItem(item.id);
      c.finishRun(u, run, "failed", { error: { name: "FunctionNotFound", message: `function ${run.fnSlug} is no longer registered` } });
      await c.commit(u);
      return;
    }
    c.markStarted(run, fn);
    const startedAt = Date.now();
    const ctx: Record<string, unknown> = {
      run_id: run.id,
      attempt: item.attempt,
      max_attempts: fn.maxAttempts,
      disable_immediate_execution: run.forceStepPlan,
      use_api: false,
      stack: { stack: run.stack, current: Math.max(run.stack.length - 1, 0) },
    };
    // Retries (attempt > 0) stay one step per request, so the next step starts with a fresh attempt count.
    if (c.opts.checkpointing && item.stepId === "step" && !run.forceStepPlan && item.attempt === 0) {
      // The SDK may now run several steps in this request, reporting each to POST /v1/checkpoint/:runId/async.
      ctx.fn_id = fn.slug;
      ctx.qi_id = item.id;
    }
    const payload = { event: run.events[0], events: run.events, steps: Object.fromEntries(run.memos), ctx, version: run.requestVersion };
    const headers: Record<string, string> = { "x-run-id": run.id, "x-request-id": ulid(), "x-inngest-step-id": item.stepId };
    if (run.requestVersion >= 0) headers["x-inngest-req-version"] = String(run.requestVersion);
    c.counters.requests++;
    const sentAt = performance.now();
    if (item.isStart && item.attempt === 0) c.latency.start.add(Date.now() - run.createdAt);
    const answered = c.lastAnswerAt.get(run.id);
    if (answered !== undefined && item.attempt === 0) c.latency.transition.add(sentAt - answered);
    const result = await c.client.call(stepUrl(fn.url, item.stepId), payload, headers);
    if (ENDED.has(run.status)) return; // cancelled while the request was in flight; its item is already gone
    const away = appUnreachable(result);
    if (away) {
      // The app is down or restarting, which is not this function failing: the same request (same attempt) waits,
      // parked with the app's others, until the app answers. Its queue row was never touched.
      c.availability.hold(fn.appId, fn.url, away);
      setImmediate(() => c.scheduler.add({ ...item, seq: c.scheduler.nextSeq() }));
      return;
    }
    c.availability.release(fn.appId);
    const outcome = classify(result);
    const u = new Unit();
    c.journal.deleteItem(item.id);
    if (outcome.version !== undefined && outcome.version >= 0) run.requestVersion = outcome.version;
    const endedAt = Date.now();
    switch (outcome.type) {
      case "complete":
        this.complete(u, run, item, outcome.output, startedAt, endedAt);
        break;
      case "error":
        this.functionError(u, run, fn, item, outcome, startedAt, endedAt);
        break;
      case "ops":
        this.applyOps(u, run, fn, item, outcome, startedAt, endedAt);
        break;
    }
    if (!ENDED.has(run.status)) c.journal.saveRun(run);
    const handledAt = performance.now();
    await c.commit(u);
    if (!ENDED.has(run.status)) c.lastAnswerAt.set(run.id, handledAt);
  }

  /** The function returned (200, or RunComplete when checkpointing): trace entry and the run's end. */
  private complete(u: Unit, run: RunState, item: QueueItem, output: unknown, startedAt: number, endedAt: number): void {
    const c = this.core;
    c.history({ runId: run.id, kind: "function", attempt: item.attempt, status: "completed", startedAt, endedAt, output: preview(output) });
    c.finishRun(u, run, "completed", { output });
  }

  private functionError(
    u: Unit,
    run: RunState,
    fn: FnDef,
    item: QueueItem,
    outcome: Extract<Outcome, { type: "error" }>,
    startedAt: number,
    endedAt: number,
  ): void {
    const c = this.core;
    const kind = item.stepId === "step" ? "function" : "step";
    const stepName = item.data?.name as string | undefined;
    if (outcome.retriable && item.attempt + 1 < fn.maxAttempts) {
      const at = Date.now() + c.backoff(item.attempt, outcome.retryAfterMs);
      c.history({
        runId: run.id,
        kind,
        stepHash: kind === "step" ? item.stepId : undefined,
        stepName,
        attempt: item.attempt,
        status: "errored",
        startedAt,
        endedAt,
        error: outcome.error,
      });
      c.enqueue(u, run, "exec", item.stepId, {
        attempt: item.attempt + 1,
        at,
        isStart: item.isStart,
        throttleKey: undefined,
        data: item.data,
        wait: { reason: "retry", until: at, maxAttempts: fn.maxAttempts },
      });
      return;
    }
    c.history({
      runId: run.id,
      kind,
      stepHash: kind === "step" ? item.stepId : undefined,
      stepName,
      attempt: item.attempt,
      status: "failed",
      startedAt,
      endedAt,
      error: outcome.error,
    });
    c.finishRun(u, run, "failed", { error: outcome.error });
  }

  private applyOps(
    u: Unit,
    run: RunState,
    fn: FnDef,
    item: QueueItem,
    outcome: Extract<Outcome, { type: "ops" }>,
    startedAt: number,
    endedAt: number,
  ): void {
    const c = this.core;
    const targeted = item.stepId !== "step";
    let scheduled = 0;
    let retrying = false;
    for (const op of outcome.ops) {
      const name = op.displayName ?? op.name ?? op.userland?.id;
      const timing = opTiming(op);
      const base = {
        runId: run.id,
        stepHash: op.id,
        stepName: name,
        attempt: item.attempt,
        startedAt: timing?.a ?? startedAt,
        endedAt: timing?.b ?? endedAt,
      };
      switch (op.op) {
        case "StepRun":
        case "Step": {
          this.recordStepRun(run, op, item.attempt, base.startedAt, base.endedAt);
          run.pending.delete(op.id);
          break;
        }
        case "StepError": {
          const error = asError(op.error, "step failed");
          if (item.attempt + 1 < fn.maxAttempts) {
            const at = Date.now() + c.backoff(item.attempt, outcome.retryAfterMs);
            c.history({ ...base, kind: "step", status: "errored", error });
            c.enqueue(u, run, "exec", item.stepId, {
              attempt: item.attempt + 1,
              at,
              data: { ...(item.data ?? {}), name },
              wait: { reason: "retry", until: at, maxAttempts: fn.maxAttempts },
            });
            retrying = true;
          } else {
            c.setMemo(run, op.id, { error });
            c.history({ ...base, kind: "step", status: "failed", error });
            run.pending.delete(op.id);
          }
          break;
        }
        case "StepFailed": {
          const error = asError(op.error ?? op.data, "step failed");
          c.setMemo(run, op.id, { error });
          c.history({ ...base, kind: "step", status: "failed", error });
          run.pending.delete(op.id);
          break;
        }
        case "StepPlanned": {
          if (run.memos.has(op.id) || run.pending.has(op.id)) break;
          run.pending.add(op.id);
          c.enqueue(u, run, "exec", op.id, { data: { name } });
          scheduled++;
          break;
        }
        case "Sleep": {
          if (run.memos.has(op.id) || run.pending.has(op.id)) break;
          const spec = String((op.opts?.duration as string | undefined) ?? op.name ?? "0s");
          let wake: number;
          try {
            wake = parseDeadline(spec, Date.now());
          } catch {
            wake = Date.now();
          }
          run.pending.add(op.id);
          const h = c.history({
            ...base,
            kind: "sleep",
            attempt: 0,
            status: "sleeping",
            startedAt: endedAt,
            endedAt: undefined,
            detail: { until: wake },
          });
          c.enqueueResume(u, run.id, run.fnSlug, op.id, null, { historyId: h.id, historyKind: "sleep", name, startedAt: endedAt }, wake);
          scheduled++;
          break;
        }
        case "WaitForEvent": {
          if (run.memos.has(op.id) || run.pending.has(op.id)) break;
          const timeout = op.opts?.timeout as string | undefined;
          let expiresAt = Date.now();
          try {
            if (timeout) expiresAt = parseDeadline(timeout, Date.now());
          } catch {
            // an unparseable timeout expires at once, like an empty one
          }
          run.pending.add(op.id);
          c.history({
            ...base,
            id: `${run.id}:${op.id}`,
            kind: "wait",
            attempt: 0,
            status: "waiting",
            startedAt: endedAt,
            endedAt: undefined,
            detail: { event: op.name, until: expiresAt, if: op.opts?.if },
          });
          c.addPause(u, {
            id: ulid(),
            runId: run.id,
            kind: "wait",
            event: String(op.name ?? op.opts?.event ?? ""),
            expr: (op.opts?.if as string | undefined) || undefined,
            expiresAt,
            stepHash: op.id,
            data: { trigger: run.events[0], fnSlug: run.fnSlug, stepName: name },
          });
          scheduled++;
          break;
        }
        case "InvokeFunction": {
          if (run.memos.has(op.id) || run.pending.has(op.id)) break;
          run.pending.add(op.id);
          this.invoke(u, run, op, name, endedAt);
          scheduled++;
          break;
        }
        case "Gateway":
        case "AIGateway": {
          if (run.memos.has(op.id) || run.pending.has(op.id)) break;
          run.pending.add(op.id);
          c.enqueue(u, run, "gateway", op.id, { data: { request: op.opts ?? {}, name, ai: op.op === "AIGateway" } });
          scheduled++;
          break;
        }
        case "RunComplete": {
          this.complete(u, run, item, op.data ?? null, startedAt, endedAt);
          return;
        }
        case "DiscoveryRequest":
          break;
        default:
          c.log.debug({ op: op.op, runId: run.id }, "ignoring opcode this engine does not implement");
      }
    }
    if (targeted && !retrying) run.pending.delete(item.stepId);
    if (scheduled > 1) run.forceStepPlan = true;
    if (c.tooManySteps(run)) {
      c.finishRun(u, run, "failed", { error: { name: "StepLimitExceeded", message: "the run exceeded 1000 steps" } });
      return;
    }
    if (!retrying) c.maybeDiscover(u, run);
  }

  /** A step's successful result: its memo and trace entry (a failure when the output is over the size limit). */
  private recordStepRun(run: RunState, op: Op, attempt: number, startedAt: number, endedAt: number): void {
    const c = this.core;
    const name = op.displayName ?? op.name ?? op.userland?.id;
    const base = { runId: run.id, kind: "step" as const, stepHash: op.id, stepName: name, attempt, startedAt, endedAt };
    const size = JSON.stringify(op.data ?? null)?.length ?? 0;
    if (size > MAX_OUTPUT_BYTES) {
      const error = { name: "OutputTooLarge", message: `step "${name}" returned ${size} bytes; the limit is ${MAX_OUTPUT_BYTES}` };
      if (c.setMemo(run, op.id, { error })) c.history({ ...base, status: "failed", error });
      return;
    }
    if (c.setMemo(run, op.id, { data: op.data === undefined ? null : op.data })) {
      c.history({ ...base, status: "completed", output: preview(op.data) });
    }
  }

  /**
   * `POST /v1/checkpoint/:runId/async`: steps the SDK ran inside the request for queue item `qiId`. They are
   * memoized and committed before the SDK is told to go on, exactly as if each had come back in a 206.
   * Returns false (answered 409, "stale dispatch") when that request is no longer the run's current one.
   */
  async checkpoint(runId: string, qiId: string, ops: Op[]): Promise<boolean> {
    const c = this.core;
    const run = c.runs.get(runId);
    const item = c.scheduler.get(qiId);
    if (!run || ENDED.has(run.status) || !item || item.runId !== runId || c.scheduler.whereIs(item)?.place !== "inflight") return false;
    const u = new Unit();
    const now = Date.now();
    const received = performance.now();
    for (const op of ops) {
      if (op.op !== "StepRun" && op.op !== "Step") continue;
      const timing = opTiming(op);
      this.recordStepRun(run, op, 0, timing?.a ?? now, timing?.b ?? now);
    }
    c.journal.saveRun(run);
    await c.commit(u);
    // Inside a checkpointing request the SDK waits for this answer before its next step.
    c.latency.transition.add(performance.now() - received);
    return true;
  }

  /** step.invoke: an `inngest/function.invoked` event starts the target by slug; its end resumes this step. */
  private invoke(u: Unit, run: RunState, op: Op, name: string | undefined, now: number): void {
    const c = this.core;
    const opts = (op.opts ?? {}) as { function_id?: string; payload?: { data?: Record<string, unknown>; v?: string }; timeout?: string };
    const target = opts.function_id ? c.registry.get(opts.function_id) : undefined;
    // One trace entry per invoke step (same id), updated when the child ends or the wait times out.
    const trace = {
      id: `${run.id}:${op.id}`,
      runId: run.id,
      kind: "invoke" as const,
      stepHash: op.id,
      stepName: name,
      attempt: 0,
      startedAt: now,
    };
    if (!target || target.archived) {
      const error = { name: "Error", message: `could not invoke function "${opts.function_id}": it is not registered` };
      c.history({ ...trace, status: "failed", endedAt: now, error });
      c.enqueueResume(u, run.id, run.fnSlug, op.id, { error });
      return;
    }
    let expiresAt = now + MAX_WAIT_MS;
    try {
      if (opts.timeout) expiresAt = parseDeadline(opts.timeout, now);
    } catch {
      // keep the default
    }
    const correlationId = `${run.id}.${op.id}`;
    c.addPause(u, {
      id: ulid(),
      runId: run.id,
      kind: "invoke",
      expiresAt,
      stepHash: op.id,
      data: { correlationId, fnSlug: run.fnSlug, stepName: name, target: target.slug },
    });
    const data = {
      ...(opts.payload?.data ?? {}),
      _inngest: {
        fn_id: target.slug,
        correlation_id: correlationId,
        expire: expiresAt,
        source_app_id: c.registry.get(run.fnSlug)?.appId,
        source_fn_id: run.fnSlug,
        source_fn_v: 1,
        gid: ulid(),
        name: "inngest/function.invoked",
      },
    };
    const invokedAt = Date.now();
    const internalId = ulid(invokedAt);
    const ev = { internalId, id: internalId, name: "inngest/function.invoked", data, user: {}, ts: invokedAt, receivedAt: invokedAt };
    c.journal.insertEvent(ev);
    const child = c.createRun(u, target, [ev], { parent: { runId: run.id, stepHash: op.id, correlationId } });
    c.history({ ...trace, status: "waiting", detail: { function: target.slug, until: expiresAt, childRunId: child.id } });
  }
}
