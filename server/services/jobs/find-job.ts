import type { Job, Prisma } from "@/generated/prisma/client";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The job with this id in the caller's organization. Missing, malformed and other organizations' ids are the same
 * 404, so nobody learns that a job exists elsewhere.
 */
export async function findScopedJob(client: Prisma.TransactionClient, scope: Scope, id: string): Promise<Job> {
  const job = UUID.test(id) ? await client.job.findFirst({ where: { id, orgId: scope.orgId } }) : null;
  if (!job) throw new AppError("NOT_FOUND", `no job with id "${id}"`);
  return job;
}
