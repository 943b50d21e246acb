import type { Op } from "../protocol/response.js";
import { resolveEventMeta } from "../protocol/sessions.js";
import type { RunState } from "../types.js";

/**
 * `defer()` (SDK ≥ 4.2x, `createDefer`): a run asks for another function to run once it has ended. As Inngest does
 * it (pkg/execution/defers, executor/finalize.go buildDeferEvents, driver/request.go at 253303c): a `DeferAdd` op
 * records the defer under its hashed id, a `DeferAbort` cancels one not yet scheduled, every request tells the SDK
 * which defers exist (`defers: {hash: {abortable}}`) so it does not report them again, and when the run ends, in
 * any way, each live defer becomes an `inngest/deferred.schedule` event that starts the companion function.
 * A defer that breaks a limit is dropped (soft-rejected, logged), never failing the run.
 */

export const DEFERRED_SCHEDULE_EVENT = "inngest/deferred.schedule";
const MAX_DEFERS_PER_RUN = 20;
const MAX_DEFER_INPUT_BYTES = 4 * 1024 * 1024;
const MAX_DEFER_INPUT_AGGREGATE_BYTES = 4 * 1024 * 1024;
const MAX_DEFER_META_BYTES = 32 * 1024;

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v) ?? "");

/** Why a DeferAdd cannot be kept (Inngest's rejectReason names), or undefined to keep it. */
function rejection(run: RunState, opts: Record<string, unknown>): string | undefined {
  if (typeof opts.fn_slug !== "string" || opts.fn_slug === "") return "invalid_opts";
  if (opts.input !== undefined && opts.input !== null && !isPlainObject(opts.input)) return "invalid_input";
  if (bytes(opts.input ?? {}) > MAX_DEFER_INPUT_BYTES) return "per_defer_size";
  if (opts.meta !== undefined && opts.meta !== null && !isPlainObject(opts.meta)) return "invalid_meta";
  if (bytes(opts.meta ?? null) > MAX_DEFER_META_BYTES) return "meta_size";
  const live = Object.values(run.defers ?? {}).filter((d) => d.status !== "rejected");
  if (live.length >= MAX_DEFERS_PER_RUN) return "per_run_count";
  const aggregate = live.reduce((sum, d) => sum + bytes(d.input ?? {}), 0);
  if (aggregate + bytes(opts.input ?? {}) > MAX_DEFER_INPUT_AGGREGATE_BYTES) return "aggregate_size";
  return undefined;
}

/** Applies a DeferAdd; a hashed id already known (the SDK reporting it again) changes nothing. */
export function addDefer(run: RunState, op: Op): { rejected?: string } {
  run.defers ??= {};
  if (run.defers[op.id]) return {};
  const opts = (op.opts ?? {}) as Record<string, unknown>;
  const reason = rejection(run, opts);
  const fnSlug = typeof opts.fn_slug === "string" ? opts.fn_slug : "";
  const name = op.displayName ?? op.name ?? op.userland?.id;
  if (reason) {
    run.defers[op.id] = { fnSlug, status: "rejected", name, reason };
    return { rejected: reason };
  }
  run.defers[op.id] = {
    fnSlug,
    status: "after_run",
    name,
    input: (opts.input as Record<string, unknown>) ?? {},
    meta: opts.meta ?? undefined,
  };
  return {};
}

/** Applies a DeferAbort: a defer not yet scheduled never runs (aborted is final for that id). */
export function abortDefer(run: RunState, op: Op): boolean {
  const target = (op.opts as { target_hashed_id?: unknown } | undefined)?.target_hashed_id;
  const entry = typeof target === "string" ? run.defers?.[target] : undefined;
  if (entry?.status !== "after_run") return false;
  entry.status = "aborted";
  delete entry.input;
  return true;
}

/** The request's `defers`: every known one, abortable while it waits for the run's end. */
export function deferEntries(run: RunState): Record<string, { abortable: boolean }> {
  const out: Record<string, { abortable: boolean }> = {};
  for (const [hash, d] of Object.entries(run.defers ?? {})) out[hash] = { abortable: d.status === "after_run" };
  return out;
}

export interface DeferredEvent {
  id: string;
  data: Record<string, unknown>;
  meta?: { sessions: Record<string, string> };
}

/**
 * The events a just-ended run's live defers become, each marked scheduled. The id is fixed by (run, defer), so a
 * replayed end cannot start a companion twice; sessions that do not pass drop that defer, as on Inngest.
 */
export function takeDeferredEvents(run: RunState, appId: string | undefined): { events: DeferredEvent[]; dropped: string[] } {
  const events: DeferredEvent[] = [];
  const dropped: string[] = [];
  for (const [hash, d] of Object.entries(run.defers ?? {})) {
    if (d.status !== "after_run") continue;
    d.status = "scheduled";
    let meta: DeferredEvent["meta"];
    try {
      meta = resolveEventMeta(d.meta, "defer");
    } catch {
      dropped.push(hash);
      continue;
    }
    const _inngest = {
      fn_slug: d.fnSlug,
      parent_app_id: appId,
      parent_fn_id: run.fnSlug,
      parent_fn_slug: run.fnSlug,
      parent_run_id: run.id,
    };
    events.push({ id: `defer-${run.id}-${hash}`, data: { ...(d.input ?? {}), _inngest }, meta });
    delete d.input;
  }
  return { events, dropped };
}
