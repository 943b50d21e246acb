import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
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
 */
export function ensureNextBuild(distDir: string, env: NodeJS.ProcessEnv): void {
  const buildId = join(distDir, "BUILD_ID");
  if (existsSync(buildId) && statSync(buildId).mtimeMs > Math.max(...SOURCES.map(newestMtime))) return;
  const b = spawnSync("npm", ["run", "build"], { stdio: "inherit", env: { ...env, NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: "1" } });
  if (b.status !== 0) throw new Error(`npm run build (${distDir}) failed`);
}
