import { createHash, randomBytes } from "node:crypto";
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EmbeddedPostgres, startPgliteServer } from "@jobdeck/pglite-server";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PATHS, deploy, drift, readMigrations, status } from "../../scripts/db/migrator.js";
import { postgresAnswers } from "../support/test-database.js";

const PG_URL = process.env.ENGINE_TEST_DATABASE_URL;

/** The offline migrator on Prisma's wasm schema engine, on the embedded PGlite and (when it answers) PostgreSQL. */
describe("migrations", () => {
  let lite: EmbeddedPostgres;
  const targets: Array<{ name: string; url: () => string; cleanup?: () => Promise<void> }> = [];

  beforeAll(async () => {
    lite = await startPgliteServer();
    targets.push({ name: "pglite", url: () => lite.url });
    if (PG_URL && (await postgresAnswers(PG_URL))) {
      const name = `jobdeck_mig_${randomBytes(4).toString("hex")}`;
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}"`);
      await admin.end();
      const u = new URL(PG_URL as string);
      u.pathname = `/${name}`;
      targets.push({
        name: "postgres",
        url: () => u.toString(),
        cleanup: async () => {
          const a = new pg.Client({ connectionString: PG_URL });
          await a.connect();
          await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
          await a.end();
        },
      });
    }
  }, 60_000);

  afterAll(async () => {
    for (const t of targets) await t.cleanup?.();
    await lite?.stop();
  });

  it("schema.prisma and prisma/migrations agree (the drift check)", async () => {
    const d = await drift(lite.url);
    expect(d.script).toBe("-- This is an empty migration.");
    expect(d.drifted).toBe(false);
  }, 60_000);

  it("deploys every migration once and records them as prisma migrate deploy does", async () => {
    for (const t of targets) {
      const names = readMigrations(DEFAULT_PATHS.migrationsDir).migrationDirectories.map((m) => m.path);
      expect(await deploy(t.url()), t.name).toEqual(names);
      expect(await deploy(t.url()), t.name).toEqual([]);
      const st = await status(t.url());
      expect(st.failedMigrationNames).toEqual([]);
      expect(st.history).toBeNull();
      const client = new pg.Client({ connectionString: t.url() });
      await client.connect();
      const { rows } = await client.query(
        `SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name`,
      );
      await client.end();
      const first = rows[0];
      const sql = readFileSync(join(DEFAULT_PATHS.migrationsDir, first.migration_name, "migration.sql"));
      expect(first.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
      expect(first.finished_at).not.toBeNull();
      expect(first.applied_steps_count).toBe(1);
    }
  }, 120_000);

  it("reports drift when schema.prisma changes without a migration", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drift-"));
    const schemaPath = join(dir, "schema.prisma");
    copyFileSync(DEFAULT_PATHS.schemaPath, schemaPath);
    cpSync(DEFAULT_PATHS.migrationsDir, join(dir, "migrations"), { recursive: true });
    writeFileSync(
      schemaPath,
      readFileSync(schemaPath, "utf8").replace("  heartbeatAt      DateTime?", "  heartbeatAt      DateTime?\n  label            String?"),
    );
    const d = await drift(lite.url, { schemaPath, migrationsDir: join(dir, "migrations") });
    expect(d.drifted).toBe(true);
    expect(d.script).toContain('ALTER TABLE "Job" ADD COLUMN     "label" TEXT');
  }, 60_000);
});
