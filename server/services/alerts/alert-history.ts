import { z } from "zod";
import { db } from "../../db";
import type { Scope } from "../../identity";
import { parseInput } from "../validate";
import { INSTALLATION } from "./evaluate-alerts";

export const alertHistoryInput = z.object({
  ruleId: z.uuid("ruleId: not a rule id").optional(),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, "cursor: not a cursor this list returned")
    .optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

export interface AlertEventView {
  id: string;
  ruleId: string;
  ruleName: string;
  kind: string;
  at: string;
  value: number;
  threshold: number;
  message: string;
  snoozed: boolean;
  notifiedAt: string | null;
  notifyError: string | null;
}

/** A rule's (or every rule's) firings and resolutions, newest first: the organization's, and for operators the installation's. */
export async function alertHistory(scope: Scope, operator: boolean, raw: z.input<typeof alertHistoryInput>) {
  const input = parseInput(alertHistoryInput, raw);
  const rows = await db().alertEvent.findMany({
    where: {
      orgId: operator ? { in: [scope.orgId, INSTALLATION] } : scope.orgId,
      ...(input.ruleId ? { ruleId: input.ruleId } : {}),
      ...(input.cursor ? { id: { lt: BigInt(input.cursor) } } : {}),
    },
    orderBy: { id: "desc" },
    take: input.limit + 1,
  });
  const page: AlertEventView[] = rows.slice(0, input.limit).map((r) => ({
    id: r.id.toString(),
    ruleId: r.ruleId,
    ruleName: r.ruleName,
    kind: r.kind,
    at: r.at.toISOString(),
    value: r.value,
    threshold: r.threshold,
    message: r.message,
    snoozed: r.snoozed,
    notifiedAt: r.notifiedAt?.toISOString() ?? null,
    notifyError: r.notifyError,
  }));
  return { items: page, cursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null };
}
