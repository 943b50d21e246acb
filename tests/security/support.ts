import type { AppStack } from "../support/app-stack.js";

/**
 * Everything an organization owns, row by row, in a stable order: a test takes it before an attack on that
 * organization and again after, and expects the two to be equal (0 changes).
 */
export async function organizationRows(stack: AppStack, orgId: string) {
  const db = stack.db();
  const jobs = await db.job.findMany({ where: { orgId }, orderBy: { id: "asc" } });
  const ids = jobs.map((j) => j.id);
  return {
    jobs,
    steps: await db.jobStep.findMany({ where: { jobId: { in: ids } }, orderBy: { id: "asc" } }),
    sideEffects: await db.sideEffect.findMany({ where: { jobId: { in: ids } }, orderBy: { key: "asc" } }),
    outbox: await db.outboxEvent.findMany({ where: { jobId: { in: ids } }, orderBy: { id: "asc" } }),
    mailbox: await db.mailboxMessage.findMany({ where: { orgId }, orderBy: { id: "asc" } }),
    documents: await db.document.findMany({ where: { orgId }, orderBy: { id: "asc" } }),
    credits: await db.creditAccount.findMany({ where: { orgId }, orderBy: { userId: "asc" } }),
  };
}
