import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { EmbeddedPostgresLockedError, startEmbeddedPostgres } from "../../scripts/lib/embedded-postgres.js";

describe("embedded PostgreSQL", () => {
  it("keeps data across restarts, refuses a second server on the same folder, and takes over a stale lock", async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), "embedded-pg-")), "pglite");
    const first = await startEmbeddedPostgres({ dataDir });
    const client = new pg.Client({ connectionString: first.url });
    await client.connect();
    await client.query("CREATE TABLE kept (v text)");
    await client.query("INSERT INTO kept VALUES ('survives')");
    await client.end();

    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(EmbeddedPostgresLockedError);
    await first.stop();
    expect(existsSync(`${dataDir}.lock`)).toBe(false);

    // A lock left by a process that no longer exists (kill -9) does not block the next start.
    const dead = spawn(process.execPath, ["-e", "0"]);
    await new Promise((r) => dead.on("exit", r));
    writeFileSync(`${dataDir}.lock`, JSON.stringify({ pid: dead.pid, port: 1 }));
    const second = await startEmbeddedPostgres({ dataDir });
    const again = new pg.Client({ connectionString: second.url });
    await again.connect();
    const { rows } = await again.query("SELECT v FROM kept");
    await again.end();
    await second.stop();
    expect(rows).toEqual([{ v: "survives" }]);
  }, 60_000);
});
