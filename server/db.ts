import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";
import { env } from "@/env";
import { PrismaClient } from "@/generated/prisma/client";

/** One Prisma client per process (kept across Next.js dev reloads). */
const globalForDb = globalThis as unknown as { jobdeckDb?: PrismaClient };

export function db(): PrismaClient {
  globalForDb.jobdeckDb ??= new PrismaClient({ adapter: new PrismaPg({ connectionString: env().DATABASE_URL, max: 10 }) });
  return globalForDb.jobdeckDb;
}
