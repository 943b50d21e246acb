import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const SOURCES = [
  "app",
  "components",
  "server",
  "inngest",
  "prisma/schema.prisma",
  "env.ts",
  "proxy.ts",
  "instrumentation.ts",
  "next.config.ts",
  "packages",
  "package-lock.json",
];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/**
 * Makes sure `distDir` holds a production build of the current sources (built with `env`, which fixes the auth
 * mode), rebuilding when any source is newer than the build. CI starts from a fresh clone, so it always builds.
 * Test files run in parallel: a lockfile makes the second one wait for the first one's build instead of building
 * into the same folder at the same time.
 */
export async function ensureNextBuild(distDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  // One lock for every build folder: two builds at once would share Next's and TypeScript's caches.
  const lock = ".next-build.lock";
  const deadline = Date.now() + 15 * 60_000;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(lock, "wx");
    } catch {
      // A lock older than the longest build is left over from a killed run.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 15 * 60_000) rmSync(lock, { force: true });
      if (Date.now() > deadline) throw new Error(`waited too long for another build of ${distDir}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    const buildId = join(distDir, "BUILD_ID");
    if (existsSync(buildId) && statSync(buildId).mtimeMs > Math.max(...SOURCES.map(newestMtime))) return;
    // `next build` alone, not `npm run build`: that also regenerates the Prisma client, which test files running
    // meanwhile import (a half-written client failed one with "Cannot find module …/prismaNamespace"). The client
    // is generated before the suites run (scripts/run-tests.mjs), and only when missing here.
    if (!existsSync(join("generated", "prisma", "client.ts"))) {
      const g = spawnSync("npm", ["run", "db:generate"], { stdio: "inherit", env });
      if (g.status !== 0) throw new Error("npm run db:generate failed");
    }
    const b = spawnSync(process.execPath, [join("node_modules", "next", "dist", "bin", "next"), "build"], {
      stdio: "inherit",
      env: { ...env, NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: "1" },
    });
    if (b.status !== 0) throw new Error(`next build (${distDir}) failed`);
  } finally {
    closeSync(fd);
    rmSync(lock, { force: true });
  }
}
