import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The engine's floors, lowest first (engine/ARCHITECTURE.md, "Layers"). A module imports only from its own floor or
 * below, so every arrow points down: the context never reaches up into the systems it is handed to, and no system
 * reaches into the API. Biome's noImportCycles keeps each floor free of cycles; this keeps the floors in order.
 */
const FLOORS: ReadonlyArray<{ name: string; paths: string[] }> = [
  { name: "foundations", paths: ["types.ts", "errors.ts", "clock.ts", "options.ts", "util/", "expr/"] },
  { name: "the wire format", paths: ["protocol/"] },
  { name: "storage (all SQL)", paths: ["store/"] },
  { name: "units of work and the bus", paths: ["unit.ts", "bus.ts"] },
  { name: "in-memory state", paths: ["registry.ts", "sched/", "flow/", "state/"] },
  { name: "the context", paths: ["context.ts"] },
  { name: "runs", paths: ["runs/"] },
  { name: "events and crons", paths: ["events/", "cron.ts"] },
  { name: "apps, recovery, leadership", paths: ["sync/", "recovery.ts", "leadership.ts"] },
  { name: "the HTTP API", paths: ["api/"] },
  { name: "wiring", paths: ["engine.ts", "cli.ts"] },
];

const src = join(dirname(fileURLToPath(import.meta.url)), "../../src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

function floorOf(file: string): number {
  const rel = relative(src, file).split("\\").join("/");
  const floor = FLOORS.findIndex((f) => f.paths.some((p) => (p.endsWith("/") ? rel.startsWith(p) : rel === p)));
  if (floor === -1) throw new Error(`${rel} is on no floor: add it to FLOORS and to ARCHITECTURE.md`);
  return floor;
}

/** Every engine module a file imports (static, type-only and dynamic imports alike). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1] as string);
  return specs.map((s) => normalize(join(dirname(file), s.replace(/\.js$/, ".ts"))));
}

describe("engine layering", () => {
  const files = sources(src);

  it("puts every module on a floor", () => {
    for (const f of files) expect(() => floorOf(f)).not.toThrow();
  });

  it("has every import point to the same floor or below", () => {
    const upward: string[] = [];
    for (const f of files) {
      for (const target of importsOf(f)) {
        if (!target.startsWith(src)) {
          upward.push(`${relative(src, f)} imports ${relative(src, target)}, outside engine/src`);
          continue;
        }
        const from = floorOf(f);
        const to = floorOf(target);
        if (to > from) upward.push(`${relative(src, f)} (${FLOORS[from]?.name}) imports ${relative(src, target)} (${FLOORS[to]?.name})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("keeps SQL in store/", () => {
    const sql = /\b(SELECT|INSERT INTO|UPDATE \S+ SET|DELETE FROM)\b/;
    const outside = files.filter((f) => !relative(src, f).startsWith("store") && sql.test(readFileSync(f, "utf8")));
    expect(outside.map((f) => relative(src, f))).toEqual([]);
  });
});
