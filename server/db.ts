import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";
import { env } from "@/env";
import { PrismaClient } from "@/generated/prisma/client";

/** One Prisma client per process (kept across Next.js dev reloads). */
const globalForDb = globalThis as unknown as { jobdeckDb?: PrismaClient };

export function db(): PrismaClient {
  // A database that hangs must fail a request (503) rather than hold it forever waiting for a connection.
  globalForDb.jobdeckDb ??= new PrismaClient({
    adapter: new PrismaPg({ connectionString: env().DATABASE_URL, max: 10, connectionTimeoutMillis: 5_000, query_timeout: 60_000 }),
  });
  return globalForDb.jobdeckDb;
}
