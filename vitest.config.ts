import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * Engine suites run twice: on real PostgreSQL (ENGINE_TEST_DATABASE_URL, default the local server) and on the
 * embedded PGlite. `npm test` (scripts/run-tests.mjs) picks the projects that can run on this machine.
 */
const engineTest = {
  include: ["engine/test/**/*.test.ts"],
  exclude: ["engine/test/unit/**"],
  testTimeout: 60_000,
  hookTimeout: 60_000,
  fileParallelism: true,
  maxWorkers: 2,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "engine-unit",
          include: ["engine/test/unit/**/*.test.ts", "packages/*/test/**/*.test.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // App-side suites: embedded PGlite always, real PostgreSQL too when ENGINE_TEST_DATABASE_URL answers.
        // `server-only` resolves to its own empty module, as it does under Next's react-server condition.
        resolve: { alias: { "@/": root, "server-only": `${root}node_modules/server-only/empty.js` } },
        test: {
          name: "app",
          include: ["tests/**/*.test.ts"],
          exclude: ["tests/fuzz/**"],
          testTimeout: 120_000,
          hookTimeout: 240_000,
          sequence: { groupOrder: 3 },
          maxWorkers: 2,
        },
      },
      {
        // Hostile input against `npm start` (fast-check): its own project, so it can be run alone (`npm run test:fuzz`).
        test: {
          name: "fuzz",
          include: ["tests/fuzz/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 4 },
        },
      },
      {
        test: {
          ...engineTest,
          name: "engine-pg",
          sequence: { groupOrder: 2 },
          globalSetup: ["engine/test/support/global-setup.ts"],
          env: { ENGINE_TEST_DB: "pg" },
        },
      },
      {
        test: {
          ...engineTest,
          name: "engine-pglite",
          sequence: { groupOrder: 1 },
          globalSetup: ["engine/test/support/global-setup.ts"],
          env: { ENGINE_TEST_DB: "pglite" },
        },
      },
    ],
  },
});
