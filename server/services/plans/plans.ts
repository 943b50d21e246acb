import { z } from "zod";
import { env } from "@/env";
import type { Prisma } from "@/generated/prisma/client";
import { db } from "../../db";
import type { Scope } from "../../identity";
import { audited } from "../audit/record-audit";
import { parseInput } from "../validate";
import { pushWeight } from "./push-weights";

/**
 * Organizations' plans: what an operator grants one organization beyond the installation's defaults — how many jobs
 * it may have pending (queued, running or waiting) and its weight in the fair share of running slots. Kept in the
 * database (OrgPlan) and read where they apply (the create statement reads the limit itself), so a change takes
 * effect at once, without a restart.
 */
export interface Plan {
  orgId: string;
  /** Pending jobs it may have at once. */
  maxPendingJobs: number;
  /** Whether maxPendingJobs is the installation's default (JOBS_MAX_ACTIVE_PER_ORG) rather than the plan's own. */
  defaultLimit: boolean;
  /** Its weight in the fair share of running slots (1 = an equal share). */
  weight: number;
  updatedAt: string | null;
  updatedBy: string | null;
}

export const MAX_PENDING_LIMIT = 1_000_000;
export const MAX_WEIGHT = 100;

export const orgIdInput = z.string().trim().min(1, "orgId is required").max(200, "orgId: at most 200 characters");

export const setPlanInput = z.object({
  orgId: orgIdInput,
  /** null puts it back on the installation's default. */
  maxPendingJobs: z.number().int("must be a whole number").min(1).max(MAX_PENDING_LIMIT).nullable().optional(),
  weight: z.number().int("must be a whole number").min(1).max(MAX_WEIGHT).optional(),
});

type PlanRow = { orgId: string; maxPendingJobs: number | null; weight: number; updatedAt: Date; updatedBy: string };

function view(orgId: string, row: PlanRow | null): Plan {
  return {
    orgId,
    maxPendingJobs: row?.maxPendingJobs ?? env().JOBS_MAX_ACTIVE_PER_ORG,
    defaultLimit: row?.maxPendingJobs == null,
    weight: row?.weight ?? 1,
    updatedAt: row?.updatedAt.toISOString() ?? null,
    updatedBy: row?.updatedBy ?? null,
  };
}

/** An organization's plan (the defaults when it has none). */
export async function getPlan(orgId: string, client: Prisma.TransactionClient = db()): Promise<Plan> {
  return view(orgId, await client.orgPlan.findUnique({ where: { orgId } }));
}

/** Every organization with a plan of its own, by organization. */
export async function listPlans(): Promise<Plan[]> {
  const rows = await db().orgPlan.findMany({ orderBy: { orgId: "asc" }, take: 1_000 });
  return rows.map((r) => view(r.orgId, r));
}

/** Sets (part of) an organization's plan; `maxPendingJobs: null` returns it to the installation's default. */
export async function setPlan(scope: Scope, raw: z.input<typeof setPlanInput>): Promise<Plan> {
  const input = parseInput(setPlanInput, raw);
  const row = await audited(
    scope,
    async (tx) => {
      const before = await tx.orgPlan.findUnique({ where: { orgId: input.orgId } });
      const saved = await tx.orgPlan.upsert({
        where: { orgId: input.orgId },
        create: { orgId: input.orgId, maxPendingJobs: input.maxPendingJobs ?? null, weight: input.weight ?? 1, updatedBy: scope.userId },
        update: {
          ...(input.maxPendingJobs !== undefined ? { maxPendingJobs: input.maxPendingJobs } : {}),
          ...(input.weight !== undefined ? { weight: input.weight } : {}),
          updatedBy: scope.userId,
        },
      });
      const shape = (p: { maxPendingJobs: number | null; weight: number } | null) =>
        p ? { maxPendingJobs: p.maxPendingJobs, weight: p.weight } : null;
      return {
        result: saved,
        audit: {
          action: "plan.set",
          targetType: "organization",
          targetId: input.orgId,
          orgId: input.orgId,
          before: shape(before),
          after: shape(saved),
        },
      };
    },
    { operator: true },
  );
  // The engine's fair scheduler learns the weight at once; the next sync makes good a push that failed.
  if (input.weight !== undefined) await pushWeight(input.orgId, row.weight);
  return view(input.orgId, row);
}
