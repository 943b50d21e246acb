import { z } from "zod";
import type { EngineContext } from "../context.js";
import { BadRequestError, NotFoundError } from "../errors.js";
import { compile, ExpressionError, test } from "../expr/cel.js";
import type { RunLifecycle } from "../runs/lifecycle.js";
import {
  type CancellationRow,
  deleteCancellation,
  insertCancellation,
  selectCancellations,
  setCancelledCount,
} from "../store/cancellations-sql.js";
import { selectActiveRunIdsIn } from "../store/runs-sql.js";
import { ENDED } from "../types.js";
import { Unit } from "../unit.js";
import { isUlid, ulid } from "../util/ulid.js";
import { inngestEnvelope } from "./envelope.js";
import { iso } from "./run-filter.js";

/** Inngest lets `started_before` reach this far past its clock (pkg/api/apiv1/cancellation.go at 253303c). */
const CLOCK_SKEW_MS = 5_000;
/** Runs examined per database read and unit of work while a cancellation is applied. */
const PAGE = 500;

export const createCancellationSchema = z.object({
  app_id: z.string().optional(),
  function_id: z.string().optional(),
  started_after: z.string().nullish(),
  started_before: z.string().optional(),
  if: z.string().nullish(),
});
export type CreateCancellationBody = z.infer<typeof createCancellationSchema> & { startedAfter?: number; startedBefore?: number };

/**
 * Bulk cancellations as Inngest's REST API has them (`POST`/`GET /v1/cancellations`, `DELETE /v1/cancellations/:id`):
 * every active run of one function created in a time window, and only those whose triggering event matches `if`
 * (a CEL expression over `event`), is cancelled. Inngest stores the cancellation and checks it lazily at each
 * step; this engine applies it at once to every matching run and keeps the record (with how many it cancelled),
 * so listing and deleting behave the same.
 */
export class CancellationsApi {
  constructor(
    private readonly ctx: EngineContext,
    private readonly lifecycle: RunLifecycle,
  ) {}

  async create(body: CreateCancellationBody) {
    const { ctx } = this;
    const now = ctx.clock.now();
    // Inngest's CreateCancellationBody.Validate: every problem is reported, not only the first.
    const problems: string[] = [];
    if (!body.app_id) problems.push("app_id is required");
    if (!body.function_id) problems.push("function_id is required");
    if (body.startedBefore === undefined) problems.push("started_before is required");
    else if (body.startedBefore > now + CLOCK_SKEW_MS) problems.push("started_before must be in the past");
    if (body.startedAfter !== undefined && body.startedBefore !== undefined && body.startedAfter > body.startedBefore)
      problems.push("started_after must be before started_before");
    if (problems.length) throw new BadRequestError(problems.join("; "));
    const expression = body.if?.trim() ? body.if : undefined;
    if (expression) {
      try {
        compile(expression);
      } catch (e) {
        if (e instanceof ExpressionError) throw new BadRequestError(`if: ${e.message}`);
        throw e;
      }
    }
    const slug = this.functionSlug(body.app_id as string, body.function_id as string);
    const row: CancellationRow = {
      id: ulid(now),
      created_at: now,
      app_id: body.app_id as string,
      function_slug: slug,
      started_after: body.startedAfter ?? null,
      started_before: body.startedBefore as number,
      if: expression ?? null,
      cancelled: 0,
    };
    await insertCancellation(ctx.pool, ctx.s, row);
    row.cancelled = await this.apply(row);
    await setCancelledCount(ctx.pool, ctx.s, row.id, row.cancelled);
    return inngestEnvelope(view(row), now);
  }

  async list() {
    const rows = await selectCancellations(this.ctx.pool, this.ctx.s);
    return inngestEnvelope(rows.map(view), this.ctx.clock.now());
  }

  async remove(id: string) {
    if (!isUlid(id)) throw new BadRequestError(`Invalid cancellation ID: "${id.slice(0, 40)}" is not a ULID`);
    if (!(await deleteCancellation(this.ctx.pool, this.ctx.s, id.toUpperCase()))) throw new NotFoundError("Cancellation not found");
    return inngestEnvelope({ ok: true }, this.ctx.clock.now());
  }

  /** The function's slug from Inngest's pair (app id, the SDK's function id); the full slug is accepted too. */
  private functionSlug(appId: string, fnId: string): string {
    const { registry } = this.ctx;
    for (const slug of [`${appId}-${fnId}`, fnId]) {
      const fn = registry.get(slug);
      if (fn && fn.appId === appId) return slug;
    }
    throw new NotFoundError(`function not found: no function "${fnId}" in app "${appId}"`);
  }

  /** Cancels every active run the cancellation covers, a page at a time; returns how many. */
  private async apply(c: CancellationRow): Promise<number> {
    const { ctx } = this;
    const reason = `cancelled by bulk cancellation ${c.id}`;
    let cancelled = 0;
    let after = "";
    for (;;) {
      const created = { fnSlug: c.function_slug, startedBefore: c.started_before, startedAfter: c.started_after };
      const ids = await selectActiveRunIdsIn(ctx.pool, ctx.s, created, after, PAGE);
      if (!ids.length) return cancelled;
      const u = new Unit();
      for (const id of ids) {
        const run = await ctx.runs.load(id);
        if (!run || ENDED.has(run.status)) continue;
        // Inngest's checker evaluates `if` with the run's triggering event bound as `event` (cancellation.go).
        if (c.if && !test(c.if, { event: run.events[0] }, ctx.clock.now())) continue;
        this.lifecycle.cancelRun(u, run, reason);
        cancelled++;
      }
      await u.commit(ctx.journal);
      after = ids[ids.length - 1] as string;
    }
  }
}

/** Inngest's cqrs.Cancellation JSON; ids Inngest keeps as UUIDs are this engine's names, plus `cancelled`. */
function view(r: CancellationRow) {
  return {
    created_at: iso(r.created_at),
    name: null,
    id: r.id,
    app_id: r.app_id,
    function_id: r.function_slug,
    started_after: iso(r.started_after),
    started_before: iso(r.started_before),
    ...(r.if ? { if: r.if } : {}),
    kind: "bulk_run",
    cause: "API",
    queue_name: null,
    cancelled: Number(r.cancelled),
  };
}
