import { db } from "../../db";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";

/** Documents jobs produced for the organization (reports, generated content), newest first, without bodies. */
export async function listDocuments(scope: Scope, opts: { kind?: string; jobId?: string; limit?: number } = {}) {
  return db().document.findMany({
    where: { orgId: scope.orgId, ...(opts.kind ? { kind: opts.kind } : {}), ...(opts.jobId ? { jobId: opts.jobId } : {}) },
    orderBy: { createdAt: "desc" },
    take: Math.min(opts.limit ?? 50, 200),
    select: { id: true, kind: true, title: true, jobId: true, createdAt: true },
  });
}

export async function getDocument(scope: Scope, id: string) {
  const doc = /^[0-9a-f-]{36}$/i.test(id) ? await db().document.findFirst({ where: { id, orgId: scope.orgId } }) : null;
  if (!doc) throw new AppError("NOT_FOUND", `no document with id "${id}"`);
  return doc;
}
