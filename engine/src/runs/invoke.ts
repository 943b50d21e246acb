import type { Op } from "../protocol/response.js";
import { type EventMeta, resolveEventMeta } from "../protocol/sessions.js";
import type { RunState } from "../types.js";
import type { Unit } from "../unit.js";
import { MAX_WAIT_MS, parseDeadline } from "../util/duration.js";
import { ulid } from "../util/ulid.js";
import type { RunSystems } from "./systems.js";

/** step.invoke: an `inngest/function.invoked` event starts the target by slug; its end resumes this step. */
export function invoke(sys: RunSystems, u: Unit, run: RunState, op: Op, name: string | undefined, now: number): void {
  const { ctx, trace, queue, pauses, lifecycle } = sys;
  const opts = (op.opts ?? {}) as {
    function_id?: string;
    payload?: { data?: Record<string, unknown>; v?: string; meta?: unknown };
    timeout?: string;
  };
  const target = opts.function_id ? ctx.registry.get(opts.function_id) : undefined;
  // One trace entry per invoke step (same id), updated when the child ends or the wait times out.
  const step = {
    id: `${run.id}:${op.id}`,
    runId: run.id,
    kind: "invoke" as const,
    stepHash: op.id,
    stepName: name,
    attempt: 0,
    startedAt: now,
  };
  if (!target || target.archived) {
    // Inngest's own text (pkg/execution/runner/runner.go FindInvokedFunction), so code matching on it works on both.
    const error = { name: "Error", message: `could not find function with ID: ${opts.function_id}` };
    trace.record(step, { status: "failed", endedAt: now, error });
    queue.resume(u, run.id, run.fnSlug, op.id, { error });
    return;
  }
  // The payload's two session layers are merged as for a sent event (Inngest's handleGeneratorInvokeFunction);
  // sessions that do not pass fail the step, as Inngest fails it with "invalid step.invoke sessions".
  let meta: EventMeta | undefined;
  try {
    meta = resolveEventMeta(opts.payload?.meta, "payload");
  } catch (e) {
    const error = { name: "Error", message: `invalid step.invoke sessions: ${(e as Error).message}` };
    trace.record(step, { status: "failed", endedAt: now, error });
    queue.resume(u, run.id, run.fnSlug, op.id, { error });
    return;
  }
  let expiresAt = now + MAX_WAIT_MS;
  try {
    if (opts.timeout) expiresAt = parseDeadline(opts.timeout, now);
  } catch {
    // keep the default
  }
  const correlationId = `${run.id}.${op.id}`;
  pauses.add(u, {
    id: ulid(now),
    runId: run.id,
    kind: "invoke",
    expiresAt,
    stepHash: op.id,
    data: {
      correlationId,
      fnSlug: run.fnSlug,
      stepName: name,
      target: target.slug,
      ...(op.opts?.parallelMode === "race" ? { race: true as const } : {}),
    },
  });
  const data = {
    ...(opts.payload?.data ?? {}),
    _inngest: {
      fn_id: target.slug,
      correlation_id: correlationId,
      expire: expiresAt,
      source_app_id: ctx.registry.get(run.fnSlug)?.appId,
      source_fn_id: run.fnSlug,
      source_fn_v: 1,
      gid: ulid(now),
      name: "inngest/function.invoked",
    },
  };
  const invokedAt = ctx.clock.now();
  const internalId = ulid(invokedAt);
  const ev = { internalId, id: internalId, name: "inngest/function.invoked", data, user: {}, meta, ts: invokedAt, receivedAt: invokedAt };
  ctx.journal.insertEvent(ev);
  const child = lifecycle.createRun(u, target, [ev], { parent: { runId: run.id, stepHash: op.id, correlationId } });
  trace.record(step, { status: "waiting", detail: { function: target.slug, until: expiresAt, childRunId: child.id } });
}
