import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The house rules in biome.json, each shown failing on a deliberate violation: the floors' import directions
 * (server/ never imports inngest/, jobs/ imports nothing of the app, components/ takes only the status sets from
 * jobs/) and the 400-line cap on source files. The probes are linted in a scratch folder with the repo's own config.
 */
const BIOME = resolve("node_modules/.bin/biome");

function lint(files: Record<string, string>): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "jobdeck-rules-"));
  copyFileSync("biome.json", join(dir, "biome.json"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const run = spawnSync(BIOME, ["lint", "--max-diagnostics=50", "."], { cwd: dir, encoding: "utf8" });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

describe("house rules (biome.json)", () => {
  it("refuses server/ importing inngest/, and says why", () => {
    const r = lint({ "server/services/probe.ts": 'import { inngest } from "@/inngest/client";\nexport const x = inngest;\n' });
    expect(r.ok).toBe(false);
    expect(r.output).toContain("server/ never imports inngest/");
    // The inngest package itself is fine (the send-only client).
    expect(lint({ "server/events/probe.ts": 'import { Inngest } from "inngest";\nexport const x = Inngest;\n' }).ok).toBe(true);
  });

  it("refuses jobs/ importing anything of the app, and says why", () => {
    for (const from of ["@/server/db", "../server/db", "@/inngest/client", "../components/trpc", "@/env"]) {
      const r = lint({ "jobs/probe.ts": `import { x } from "${from}";\nexport const y = x;\n` });
      expect(r.ok, from).toBe(false);
      expect(r.output).toContain("jobs/ holds the job catalogue's contracts and imports nothing of the app");
    }
    expect(
      lint({ "jobs/probe.ts": 'import { eventType } from "inngest";\nimport { z } from "zod";\nexport const y = [eventType, z];\n' }).ok,
    ).toBe(true);
  });

  it("lets components/ take only the status sets from jobs/", () => {
    const r = lint({ "components/probe.tsx": 'import { jobContracts } from "@/jobs";\nexport const x = jobContracts;\n' });
    expect(r.ok).toBe(false);
    expect(r.output).toContain("components/ takes only the status sets from jobs/");
    expect(lint({ "components/probe.tsx": 'import { ACTIVE } from "@/jobs/status";\nexport const x = ACTIVE;\n' }).ok).toBe(true);
  });

  it("caps a source file at 400 lines", () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `export const v${i} = ${i};`).join("\n");
    const r = lint({ "server/services/long.ts": `${body(401)}\n` });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/too many lines \(401\)\. Maximum allowed is 400/);
    expect(lint({ "server/services/long.ts": `${body(400)}\n` }).ok).toBe(true);
  });
});
