import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { transformSync } from "esbuild";
import { describe, expect, it } from "vitest";
import { mapErrorStack, sourceMappedStack } from "../../server/source-mapped-stack.js";

/** A "compiled chunk" as a bundler leaves it: minified code on one line, its source map beside it. */
function chunk(root: string, sourcefile = "../../../inngest/jobs/sample.ts"): { file: string; line: number; column: number } {
  const source = ["export function step() {", "  const answer = 41;", "  throw new Error(`failed at ${answer + 1}`);", "}", ""].join("\n");
  const out = transformSync(source, { loader: "ts", minify: true, sourcemap: "external", sourcefile });
  const dir = join(root, ".next", "server", "chunks");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "_abc123._.js");
  writeFileSync(file, `${out.code}//# sourceMappingURL=_abc123._.js.map\n`);
  writeFileSync(`${file}.map`, out.map);
  const at = out.code.indexOf("new Error");
  return { file, line: 1, column: at + 1 };
}

describe("sourceMappedStack", () => {
  const root = mkdtempSync(join(tmpdir(), "jobdeck-maps-"));
  const { file, line, column } = chunk(root);

  it("maps compiled frames to the source, relative to the project, and keeps the rest", () => {
    const stack = [
      "Error: failed at 42",
      `    at ${file}:${line}:${column}`,
      `    at Object.fn (${file}:${line}:${column})`,
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
      `    at async run (${join(root, "node_modules", "inngest", "x.js")}:3:4)`,
    ].join("\n");
    expect(sourceMappedStack(stack, root).split("\n")).toEqual([
      "Error: failed at 42",
      "    at inngest/jobs/sample.ts:3:9",
      "    at Object.fn (inngest/jobs/sample.ts:3:9)",
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
      "    at async run (node_modules/inngest/x.js:3:4)",
    ]);
  });

  it("reads next dev's maps, whose sources are file URLs", () => {
    const devRoot = mkdtempSync(join(tmpdir(), "jobdeck-maps-dev-"));
    const dev = chunk(devRoot, pathToFileURL(join(devRoot, "inngest", "jobs", "sample.ts")).href);
    expect(sourceMappedStack(`Error: x\n    at step (${dev.file}:${dev.line}:${dev.column})`, devRoot)).toBe(
      "Error: x\n    at step (inngest/jobs/sample.ts:3:9)",
    );
  });

  it("rewrites an error's stack in place, its causes too, once", () => {
    const cause = new Error("inner");
    cause.stack = `Error: inner\n    at ${file}:${line}:${column}`;
    const err = new Error("outer", { cause });
    err.stack = `Error: outer\n    at g (${file}:${line}:${column})`;
    mapErrorStack(err, root);
    expect(err.stack).toMatch(/at g \(inngest\/jobs\/sample\.ts:3:9\)$/);
    expect(cause.stack).toMatch(/at inngest\/jobs\/sample\.ts:3:9$/);
    mapErrorStack(err, root);
    expect(err.stack).toMatch(/at g \(inngest\/jobs\/sample\.ts:3:9\)$/);
    mapErrorStack("not an error");
  });
});
