import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Error stacks in the app's own source. Next.js replaces `Error.prepareStackTrace` with one that leaves `err.stack`
 * in compiled chunks (`.next/server/chunks/_20rdun1s8df9n._.js:1:4030`) and source-maps only what it prints itself;
 * a step's error reaches Inngest and the console through `err.stack`. So frames are mapped here, with the chunk's
 * own source map (Turbopack writes them beside the chunks in development and in production builds) through
 * Node's SourceMap, and paths are shown relative to the project: `inngest/jobs/demo-task.ts:67:21`.
 */

/** `    at name (file:line:col)`, `    at file:line:col`, with `async ` and `file://` as Node writes them. */
const FRAME = /^(\s*at (?:async )?)(?:(.*?) \()?(?:file:\/\/)?((?:\/|[A-Za-z]:\\)[^()]*?):(\d+):(\d+)\)?$/;

/** Parsed maps of the chunks seen in errors, the most recent few (a chunk's map can be megabytes). */
const maps = new Map<string, { map: SourceMap; dir: string } | null>();
const MAX_MAPS = 24;

function mapOf(file: string): { map: SourceMap; dir: string } | null {
  if (maps.has(file)) return maps.get(file) ?? null;
  let found: { map: SourceMap; dir: string } | null = null;
  try {
    const path = `${file}.map`;
    if (file.endsWith(".js") && existsSync(path))
      found = { map: new SourceMap(JSON.parse(readFileSync(path, "utf8"))), dir: dirname(path) };
  } catch {
    found = null; // an unreadable map: the frame stays as it is
  }
  if (maps.size >= MAX_MAPS) maps.delete(maps.keys().next().value as string);
  maps.set(file, found);
  return found;
}

/** A source path as the map names it (relative to the map, or a bundler URL) as a path from the project root. */
function sourcePath(source: string, mapDir: string, root: string): string {
  if (source.startsWith("file://")) return shown(fileURLToPath(source), root); // next dev's maps
  const bundler = /^(?:turbopack|webpack):\/\/\/?(?:\[project\]|[^/]*)\/(?:\.\/)?(.*)$/.exec(source);
  const absolute = bundler ? resolve(root, bundler[1] as string) : isAbsolute(source) ? source : resolve(mapDir, source);
  return shown(absolute, root);
}

/** Paths inside the project are shown from its root; nothing of this machine's layout leaves the process. */
function shown(path: string, root: string): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

/** The stack with each compiled frame mapped to its source and project-relative paths (unknown frames kept). */
export function sourceMappedStack(stack: string, root = process.cwd()): string {
  return stack
    .split("\n")
    .map((line) => {
      const m = FRAME.exec(line);
      if (!m) return line;
      const [, head, name, file, l, c] = m as unknown as [string, string, string | undefined, string, string, string];
      const entry = mapOf(file)?.map.findEntry(Number(l) - 1, Number(c) - 1);
      const mapped =
        entry && "originalSource" in entry && entry.originalSource
          ? `${sourcePath(entry.originalSource, mapOf(file)?.dir as string, root)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`
          : `${shown(file, root)}:${l}:${c}`;
      return name !== undefined ? `${head}${name} (${mapped})` : `${head}${mapped}`;
    })
    .join("\n");
}

/** Rewrites an error's stack (and its causes') in place, once; anything that is not an Error is left alone. */
export function mapErrorStack(err: unknown, root = process.cwd(), depth = 0): void {
  if (!(err instanceof Error) || depth > 5) return;
  const marked = err as Error & { [MAPPED]?: true };
  if (!marked[MAPPED] && typeof err.stack === "string") {
    try {
      const stack = sourceMappedStack(err.stack, root);
      Object.defineProperty(err, "stack", { value: stack, writable: true, configurable: true, enumerable: false });
      Object.defineProperty(err, MAPPED, { value: true });
    } catch {
      // mapping is a courtesy: the error itself must still go through
    }
  }
  mapErrorStack(err.cause, root, depth + 1);
}

const MAPPED = Symbol.for("jobdeck.sourceMappedStack");
