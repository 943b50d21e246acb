#!/usr/bin/env node
// The one test command (`npm test`): type check, lint, then every Vitest project this machine can run.
// Suites that need a real PostgreSQL run when one answers (ENGINE_TEST_DATABASE_URL, default the local server);
// the embedded PGlite variants always run, so a fresh machine with no database passes too.
// Ends with the plain line "N passed, N failed" that CI reads.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import pg from "pg";

const PG_URL = process.env.ENGINE_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/jobdeck_engine_test";

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { stdio: "inherit", env });
  return r.status ?? 1;
}

async function postgresAnswers(url) {
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const bin = (name) => `node_modules/.bin/${name}`;
// The Prisma client is generated code (git-ignored); make it match schema.prisma first. No engine download.
if (run(bin("prisma"), ["generate"], { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false" }) !== 0) {
  console.log("prisma generate failed\n0 passed, 1 failed");
  process.exit(1);
}
if (run(bin("tsc"), ["--noEmit", "-p", "."]) !== 0) {
  console.log("type check failed\n0 passed, 1 failed");
  process.exit(1);
}
if (run(bin("biome"), ["check", "."]) !== 0) {
  console.log("lint failed (npm run lint:fix repairs most of it)\n0 passed, 1 failed");
  process.exit(1);
}

const projects = ["engine-unit", "engine-pglite", "app", "fuzz"];
if (await postgresAnswers(PG_URL)) projects.push("engine-pg");
else console.log(`PostgreSQL at ${new URL(PG_URL).host} does not answer: running the embedded-database suites only.`);

mkdirSync(".test-artifacts", { recursive: true });
const report = ".test-artifacts/vitest.json";
const args = [
  "run",
  ...projects.flatMap((p) => ["--project", p]),
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
];
const status = run(bin("vitest"), args, { ...process.env, ENGINE_TEST_DATABASE_URL: PG_URL });
let passed = 0;
let failed = 0;
try {
  const json = JSON.parse(readFileSync(report, "utf8"));
  passed = json.numPassedTests;
  failed = json.numFailedTests + (json.numFailedTestSuites && !json.numFailedTests ? json.numFailedTestSuites : 0);
} catch {
  failed = Math.max(failed, 1);
}
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(status);
