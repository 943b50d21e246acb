import type { FetchResult } from "../protocol/sdk-client.js";
import type { QueueItem, RunState } from "../types.js";
import { ENDED } from "../types.js";
import { Unit } from "../unit.js";
import type { RunSystems } from "./systems.js";

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

function bodyText(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  return typeof body === "string" ? body : JSON.stringify(body);
}

/** The memo step.fetch resolves with (an HTTP response), or step.ai.infer (the provider's JSON). */
function memoOf(item: QueueItem, url: string | undefined, res: Extract<FetchResult, { ok: true }>): unknown {
  if (!item.data?.ai) return { data: { url, headers: res.headers, body: res.body, status_code: res.status } };
  try {
    return { data: JSON.parse(res.body) };
  } catch {
    return { data: res.body };
  }
}

/**
 * A `gateway` item: step.fetch or step.ai.infer performed here on the user's behalf (through the outbound guard),
 * memoized, retried with backoff while attempts remain; a refused destination fails the step at once.
 */
export async function performStepFetch(sys: RunSystems, item: QueueItem, run: RunState): Promise<void> {
  const { ctx, queue, trace, retry } = sys;
  const req = (item.data?.ai ? aiRequest(item.data?.request) : (item.data?.request ?? {})) as {
    url?: string;
    method?: string;
    headers?: Record<string, string>;
    body?: unknown;
  };
  const startedAt = ctx.clock.now();
  const res: FetchResult = req.url
    ? await ctx.client.fetch(req.url, { method: (req.method ?? "GET").toUpperCase(), headers: req.headers ?? {}, body: bodyText(req.body) })
    : { ok: false, error: "step.fetch without a url", refused: true };
  if (ENDED.has(run.status)) return;
  const u = new Unit();
  ctx.journal.deleteItem(item.id);
  const step = {
    runId: run.id,
    kind: "gateway" as const,
    stepHash: item.stepId,
    stepName: item.data?.name as string | undefined,
    attempt: item.attempt,
    startedAt,
    endedAt: ctx.clock.now(),
  };
  if (res.ok) {
    queue.setMemo(run, item.stepId, memoOf(item, req.url, res));
    trace.record(step, { status: "completed", output: { status: res.status } });
    run.pending.delete(item.stepId);
    queue.discover(u, run, item.data?.race === true);
  } else {
    const error = { name: res.refused ? "OutboundRefused" : "GatewayError", message: res.error };
    const retried = retry.retry(u, run, {
      item,
      kind: "gateway",
      step,
      error,
      maxAttempts: ctx.registry.get(run.fnSlug)?.maxAttempts ?? 5,
      // A refused destination stays refused: fail the step at once instead of retrying it.
      retriable: !res.refused,
      data: item.data,
    });
    if (!retried) {
      queue.setMemo(run, item.stepId, { error });
      trace.record(step, { status: "failed", error });
      run.pending.delete(item.stepId);
      queue.discover(u, run, item.data?.race === true);
    }
  }
  ctx.journal.saveRun(run);
  await u.commit(ctx.journal);
}
