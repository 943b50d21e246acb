/**
 * The zero-setup database: PGlite with its data in a folder (default .data/pglite, git-ignored), served over
 * the PostgreSQL wire protocol on 127.0.0.1 so the app, the engine and the migrator all use one code path
 * (`pg`). PGlite itself does not lock its folder, so a lockfile next to it keeps a second process out.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { type EmbeddedPostgres, startPgliteServer } from "@jobdeck/pglite-server";

export class EmbeddedPostgresLockedError extends Error {}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes `<dataDir>.lock` with O_EXCL; a lock left by a dead process is taken over. */
function takeLock(lockPath: string, info: () => Record<string, unknown>): () => void {
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, JSON.stringify({ pid: process.pid, ...info() }));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let holder: { pid?: number; port?: number } = {};
      try {
        holder = JSON.parse(readFileSync(lockPath, "utf8"));
      } catch {
        // unreadable: treat as stale
      }
      if (holder.pid && pidAlive(holder.pid)) {
        throw new EmbeddedPostgresLockedError(
          `the embedded PostgreSQL data in ${dirname(lockPath)} is in use by process ${holder.pid}` +
            (holder.port ? ` (serving 127.0.0.1:${holder.port})` : "") +
            `; stop it first, or set DATABASE_URL to use another database`,
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new EmbeddedPostgresLockedError(`could not take ${lockPath}`);
}

export async function startEmbeddedPostgres(
  opts: { dataDir?: string; port?: number; host?: string } = {},
): Promise<EmbeddedPostgres & { dataDir: string }> {
  const dataDir = resolve(opts.dataDir ?? ".data/pglite");
  mkdirSync(dirname(dataDir), { recursive: true });
  let port = opts.port ?? 0;
  const release = takeLock(`${dataDir}.lock`, () => ({ port, startedAt: new Date().toISOString() }));
  try {
    const db = await PGlite.create({ dataDir });
    const server = await startPgliteServer({ db, host: opts.host, port: opts.port });
    port = server.port;
    // Rewrite the lock with the real port, for the "in use" message of a second start.
    release();
    const releaseAgain = takeLock(`${dataDir}.lock`, () => ({ port, startedAt: new Date().toISOString() }));
    return {
      ...server,
      dataDir,
      async stop() {
        await server.stop();
        await db.close();
        releaseAgain();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/** The URL of the embedded PostgreSQL another process (e.g. `npm run dev`) serves from `dataDir`, if any. */
export function runningEmbeddedPostgresUrl(dataDir = ".data/pglite"): string | undefined {
  try {
    const holder = JSON.parse(readFileSync(`${resolve(dataDir)}.lock`, "utf8")) as { pid?: number; port?: number };
    if (holder.pid && holder.port && pidAlive(holder.pid)) return `postgres://postgres@127.0.0.1:${holder.port}/postgres`;
  } catch {
    // no lockfile: nothing running
  }
  return undefined;
}
