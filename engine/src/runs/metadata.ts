import { createHash } from "node:crypto";
import type { Clock } from "../clock.js";
import type { HistoryRow, RunState } from "../types.js";
import { ulid } from "../util/ulid.js";
import type { Trace } from "./trace.js";

/**
 * Run metadata as Inngest keeps it (pkg/tracing/metadata and pkg/api/apiv1/metadata.go at 253303c): updates of a
 * kind (`userland.<name>`, or an allowed `inngest.*` such as `inngest.score`) on a target (the run, a step, one
 * attempt of it, or a span), each merging, setting, deleting or adding values. Inngest writes each update as a span;
 * here each is a history row of kind "metadata", and reading a run folds them per target and kind.
 */

/** Bytes of one update's values (consts.MaxMetadataSpanSize) and of all a run's updates (consts.MaxRunMetadataSize). */
export const MAX_METADATA_UPDATE_BYTES = 64 * 1024;
export const MAX_RUN_METADATA_BYTES = 1024 * 1024;
const MAX_KIND_LENGTH = 128;
const MAX_SCORE_NAME_BYTES = 128;

/** The `inngest.*` kinds an SDK may write (metadata.allowedInngestKinds); every `userland.*` kind passes. */
const ALLOWED_INNGEST_KINDS = new Set([
  "inngest.ai",
  "inngest.http",
  "inngest.http.timing",
  "inngest.response_headers",
  "inngest.warnings",
  "inngest.experiment",
  "inngest.score",
]);

const OPS = ["merge", "set", "delete", "add"] as const;
export type MetadataOp = (typeof OPS)[number];
export type MetadataScope = "run" | "step" | "step_attempt" | "extended_trace";

export interface MetadataUpdate {
  kind: string;
  op: MetadataOp;
  values: Record<string, unknown>;
}

export interface MetadataTarget {
  scope: MetadataScope;
  stepHash?: string;
  attempt?: number;
  spanId?: string;
}

export class MetadataError extends Error {
  constructor(
    message: string,
    /** 400 for an update Inngest refuses, 413 for one over a size limit. */
    readonly status: 400 | 413,
  ) {
    super(message);
  }
}

/** Inngest's Values.Size: the keys' lengths plus their JSON values' lengths. */
export function valuesSize(values: Record<string, unknown>): number {
  let total = 0;
  for (const [k, v] of Object.entries(values)) total += Buffer.byteLength(k) + Buffer.byteLength(JSON.stringify(v) ?? "null");
  return total;
}

/** The SDK's hashed step id for `step_id` (and `step_index` when it is not 0), as the metadata API derives it. */
export function hashedStepId(stepId: string, index?: number): string {
  return createHash("sha1")
    .update(index ? `${stepId}:${index}` : stepId)
    .digest("hex");
}

/** Why an update is refused (Update.ValidateAllowed), or undefined. `u` is untrusted JSON. */
export function updateProblem(u: unknown, where: string): string | undefined {
  if (!u || typeof u !== "object" || Array.isArray(u)) return `${where}: must be an object with kind, op and values`;
  const { kind, op, values } = u as Record<string, unknown>;
  if (typeof kind !== "string" || kind === "") return `${where}.kind: must be a non-empty string`;
  if (kind.length > MAX_KIND_LENGTH) return `${where}.kind: kind exceeds maximum length of ${MAX_KIND_LENGTH}`;
  if (kind.startsWith("inngest.") && !ALLOWED_INNGEST_KINDS.has(kind))
    return `${where}.kind: inngest-prefixed kind is not in the allowlist (${kind})`;
  if (typeof op !== "string" || !(OPS as readonly string[]).includes(op)) return `${where}.op: must be one of ${OPS.join(", ")}`;
  if (!values || typeof values !== "object" || Array.isArray(values)) return `${where}.values: must be an object`;
  if (kind === "inngest.score") return scoreProblem(values as Record<string, unknown>, where);
  return undefined;
}

/** inngest.score values: `{<name>: {value: finite number | boolean}}`, names without control characters or quotes. */
function scoreProblem(values: Record<string, unknown>, where: string): string | undefined {
  for (const [name, v] of Object.entries(values)) {
    if (Buffer.byteLength(name) > MAX_SCORE_NAME_BYTES)
      return `${where}.values: score name "${name.slice(0, 40)}…" exceeds maximum length of ${MAX_SCORE_NAME_BYTES} UTF-8 bytes`;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
    if (/[\x00-\x1f\x7f']/.test(name)) return `${where}.values: score name ${JSON.stringify(name)} contains invalid characters`;
    const keys = v && typeof v === "object" && !Array.isArray(v) ? Object.keys(v) : [];
    const value = (v as { value?: unknown } | null)?.value;
    const valid =
      keys.length === 1 && keys[0] === "value" && (typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value)));
    if (!valid) return `${where}.values.${name}: score value must be a finite number or boolean`;
  }
  return undefined;
}

/**
 * Records the updates on the run's trace, all or none: an update over 64 KB, or one that takes the run past 1 MB,
 * refuses the whole call (Inngest answers 413 for either).
 */
export function recordMetadata(
  deps: { trace: Trace; clock: Clock },
  run: RunState,
  target: MetadataTarget,
  updates: MetadataUpdate[],
): void {
  const sizes = updates.map((u) => valuesSize(u.values));
  if (sizes.some((n) => n > MAX_METADATA_UPDATE_BYTES)) throw new MetadataError("Metadata span exceeds maximum size of 64KB", 413);
  const total = sizes.reduce((a, b) => a + b, 0);
  if ((run.metadataBytes ?? 0) + total > MAX_RUN_METADATA_BYTES) throw new MetadataError("Cumulative metadata size exceeds limit", 413);
  run.metadataBytes = (run.metadataBytes ?? 0) + total;
  const now = deps.clock.now();
  for (const u of updates) {
    deps.trace.record(
      { id: ulid(now), runId: run.id, kind: "metadata", stepHash: target.stepHash, attempt: target.attempt ?? 0, startedAt: now },
      {
        status: "completed",
        endedAt: now,
        detail: { scope: target.scope, kind: u.kind, op: u.op, values: u.values, ...(target.spanId ? { span_id: target.spanId } : {}) },
      },
    );
  }
}

/** One update of a metadata history row's detail. */
interface StoredUpdate {
  scope: MetadataScope;
  kind: string;
  op: MetadataOp;
  values: Record<string, unknown>;
  span_id?: string;
}

/** Inngest's Values.Combine: how an update changes what its target and kind had so far. */
function combine(into: Record<string, unknown>, u: StoredUpdate): Record<string, unknown> {
  switch (u.op) {
    case "set":
      return { ...u.values };
    case "merge":
      return { ...into, ...u.values };
    case "delete": {
      const out = { ...into };
      for (const k of Object.keys(u.values)) delete out[k];
      return out;
    }
    case "add": {
      const out = { ...into };
      for (const [k, v] of Object.entries(u.values)) {
        const a = out[k];
        if (typeof a !== "number") out[k] = v;
        else if (typeof v === "number") out[k] = a + v;
      }
      return out;
    }
  }
}

/** A run's metadata history rows (in write order) folded per target and kind, as a run view shows them. */
export function foldMetadata(rows: Array<Pick<HistoryRow, "stepHash" | "attempt" | "detail" | "endedAt">>) {
  const folded = new Map<
    string,
    {
      scope: MetadataScope;
      step_id: string | null;
      attempt: number | null;
      span_id: string | null;
      kind: string;
      values: Record<string, unknown>;
      updated_at: string | null;
    }
  >();
  for (const r of rows) {
    const u = r.detail as unknown as StoredUpdate;
    const attempt = u.scope === "step_attempt" || u.scope === "extended_trace" ? (r.attempt ?? 0) : null;
    const key = JSON.stringify([u.scope, r.stepHash ?? null, attempt, u.span_id ?? null, u.kind]);
    const prev = folded.get(key);
    folded.set(key, {
      scope: u.scope,
      step_id: r.stepHash ?? null,
      attempt,
      span_id: u.span_id ?? null,
      kind: u.kind,
      values: combine(prev?.values ?? {}, u),
      updated_at: r.endedAt == null ? null : new Date(Number(r.endedAt)).toISOString(),
    });
  }
  return [...folded.values()];
}

/**
 * Metadata an SDK ships on a step's opcode (`metadata: [{kind, scope, op, values}]`, from `metadata.set()` inside
 * `step.run`): recorded on that step, or that attempt when the step errored and is retried. Like Inngest
 * (executor.go handleGeneratorMetadata), an update it would refuse is dropped with a warning, never failing the step.
 */
export function recordOpMetadata(
  deps: { trace: Trace; clock: Clock; log: { warn(o: object, m: string): void } },
  run: RunState,
  op: { id: string; op: string; metadata?: unknown },
  attempt: number,
): void {
  if (!Array.isArray(op.metadata)) return;
  for (const [i, raw] of op.metadata.entries()) {
    const problem = updateProblem(raw, `metadata[${i}]`);
    if (problem) {
      deps.log.warn({ runId: run.id, stepId: op.id, problem }, "step metadata dropped");
      continue;
    }
    const u = raw as MetadataUpdate & { scope?: unknown };
    const given: MetadataScope = u.scope === "run" || u.scope === "extended_trace" ? u.scope : "step";
    const scope: MetadataScope = given === "step" && op.op === "StepError" ? "step_attempt" : given;
    const target: MetadataTarget = scope === "run" ? { scope } : { scope, stepHash: op.id, attempt };
    try {
      recordMetadata(deps, run, target, [{ kind: u.kind, op: u.op, values: u.values }]);
    } catch (e) {
      if (!(e instanceof MetadataError)) throw e;
      deps.log.warn({ runId: run.id, stepId: op.id, problem: e.message }, "step metadata dropped");
    }
  }
}
