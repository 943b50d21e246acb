import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { EngineContext } from "../context.js";
import { BadRequestError } from "../errors.js";
import { writeTenantWeights } from "../store/tenant-weights-sql.js";
import { firstIssue } from "./envelope.js";

/** The heaviest weight a tenant may have: 100 starts for each of a weight-1 tenant's. */
export const MAX_WEIGHT = 100;

const weightsBody = z
  .object({
    weights: z.record(z.string().min(1).max(200), z.number().int("weights: whole numbers").min(1).max(MAX_WEIGHT)),
    replace: z.boolean().optional(),
  })
  .strict();

/**
 * The fair scheduler's tenant weights (an engine extension; Inngest has none): `GET /v1/tenants/weights` and
 * `PUT /v1/tenants/weights {weights: {"org_a": 3}, replace?}` (weight 1 is the default; `replace` resets every tenant
 * not named). Written to the database before memory, so a restart keeps them.
 */
export function tenantRoutes(app: FastifyInstance, ctx: EngineContext): void {
  app.get("/v1/tenants/weights", async () => ({ data: Object.fromEntries(ctx.weights.entries()) }));
  app.put("/v1/tenants/weights", async (req) => {
    const b = weightsBody.safeParse(req.body);
    if (!b.success) throw new BadRequestError(firstIssue(b.error));
    const entries = Object.entries(b.data.weights);
    await writeTenantWeights(ctx.pool, ctx.s, entries, b.data.replace ?? false);
    ctx.weights.apply(entries, b.data.replace ?? false);
    return { data: Object.fromEntries(ctx.weights.entries()) };
  });
}
