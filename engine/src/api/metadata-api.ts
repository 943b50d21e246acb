import type { EngineContext } from "../context.js";
import { BadRequestError, EngineError, NotFoundError } from "../errors.js";
import { hashedStepId, MetadataError, type MetadataTarget, type MetadataUpdate, recordMetadata, updateProblem } from "../runs/metadata.js";
import type { Trace } from "../runs/trace.js";
import { Unit } from "../unit.js";
import { isUlid } from "../util/ulid.js";

interface TargetBody {
  step_id?: unknown;
  step_index?: unknown;
  step_attempt?: unknown;
  span_id?: unknown;
}

/** Inngest's RunMetadataTarget rules (pkg/api/apiv1/metadata.go at 253303c), as a target of this run. */
function targetOf(raw: unknown): MetadataTarget {
  if (raw !== undefined && raw !== null && (typeof raw !== "object" || Array.isArray(raw)))
    throw new BadRequestError("Invalid metadata target: target must be an object");
  const t = (raw ?? {}) as TargetBody;
  const str = (v: unknown, f: string) => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" || v === "") throw new BadRequestError(`Invalid metadata target: target.${f} must be a non-empty string`);
    return v;
  };
  const int = (v: unknown, f: string) => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v)) throw new BadRequestError(`Invalid metadata target: target.${f} must be an integer`);
    return v;
  };
  const stepId = str(t.step_id, "step_id");
  const stepIndex = int(t.step_index, "step_index");
  const attempt = int(t.step_attempt, "step_attempt");
  const spanId = str(t.span_id, "span_id");
  if (stepId === undefined) {
    for (const [f, v] of [
      ["step_index", stepIndex],
      ["step_attempt", attempt],
      ["span_id", spanId],
    ] as const) {
      if (v !== undefined) throw new BadRequestError(`Invalid metadata target: target.step_id must be defined if target.${f} is defined`);
    }
    return { scope: "run" };
  }
  const stepHash = hashedStepId(stepId, stepIndex);
  // An attempt of -1 (legacy) or none is the step's last attempt: the step itself.
  const specific = attempt !== undefined && attempt >= 0;
  if (specific && spanId !== undefined) return { scope: "extended_trace", stepHash, attempt, spanId };
  return specific ? { scope: "step_attempt", stepHash, attempt } : { scope: "step", stepHash };
}

/**
 * `POST /v1/runs/:id/metadata` (the SDK's `metadata.set()` outside a step, `inngest.score`): the updates are checked
 * as Inngest checks them, then recorded on the run's trace, all or none. Calls for one run are applied one after
 * another, so the run's 1 MB budget is counted exactly.
 */
export class MetadataApi {
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly trace: Trace,
  ) {}

  async add(runId: string, body: unknown): Promise<void> {
    if (!isUlid(runId)) throw new BadRequestError(`Invalid run ID: ${runId.slice(0, 40)}`);
    if (!body || typeof body !== "object" || Array.isArray(body))
      throw new BadRequestError("Invalid metadata target: the body must be a JSON object");
    const b = body as { target?: unknown; metadata?: unknown };
    const target = targetOf(b.target);
    const list = b.metadata ?? [];
    if (!Array.isArray(list)) throw new BadRequestError("Invalid metadata: metadata must be an array of updates");
    for (const [i, u] of list.entries()) {
      const problem = updateProblem(u, `metadata[${i}]`);
      if (problem) throw new BadRequestError(`Invalid metadata: ${problem}`);
    }
    const updates = (list as MetadataUpdate[]).map(({ kind, op, values }) => ({ kind, op, values }));
    const prev = this.chains.get(runId) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(() => this.apply(runId, target, updates));
    this.chains.set(runId, next);
    try {
      await next;
    } finally {
      if (this.chains.get(runId) === next) this.chains.delete(runId);
    }
  }

  private async apply(runId: string, target: MetadataTarget, updates: MetadataUpdate[]): Promise<void> {
    const run = await this.ctx.runs.load(runId);
    if (!run) throw new NotFoundError(`run ${runId} not found`);
    if (!updates.length) return;
    try {
      recordMetadata({ trace: this.trace, clock: this.ctx.clock }, run, target, updates);
    } catch (e) {
      if (e instanceof MetadataError) throw new EngineError(e.status, e.message);
      throw e;
    }
    this.ctx.journal.saveRun(run);
    await new Unit().commit(this.ctx.journal);
  }
}
