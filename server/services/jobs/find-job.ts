import type { Job, Prisma } from "@/generated/prisma/client";
import { AppError } from "../../errors";
import type { Scope } from "../../identity";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Job ids are UUIDs; anything else can name no job (and would make PostgreSQL reject the whole query). */
export const isJobId = (id: string): boolean => UUID.test(id);

/**
 * The job with this id in the caller's organization. Missing, malformed and other organizations' ids are the same
 * 404, so nobody learns that a job exists elsewhere.
 */
export async function findScopedJob(client: Prisma.TransactionClient, scope: Scope, id: string): Promise<Job> {
  const job = isJobId(id) ? await client.job.findFirst({ where: { id, orgId: scope.orgId } }) : null;
  if (!job) throw new AppError("NOT_FOUND", `no job with id "${id}"`);
  return job;
}
