import { db } from "../../db";

/** Organizations that created jobs in [from, to). */
export async function activeOrganizations(from: Date, to: Date): Promise<string[]> {
  const rows = await db().job.findMany({ where: { createdAt: { gte: from, lt: to } }, distinct: ["orgId"], select: { orgId: true } });
  return rows.map((r) => r.orgId).sort();
}
