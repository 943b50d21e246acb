import { jsonIssue } from "@jobdeck/safe-json";
import type { z } from "zod";
import { validationError } from "../errors";

/**
 * `raw` parsed with `schema`, or every problem with its field path. Before the schema, anything PostgreSQL could not
 * store (a NUL, half an emoji, nesting past 100 levels) is refused by name, so it is a 400 rather than a database
 * error later.
 */
export function issuesOf<S extends z.ZodType>(
  schema: S,
  raw: unknown,
): { ok: true; value: z.output<S> } | { ok: false; issues: Array<{ path: PropertyKey[]; message: string }> } {
  const unstorable = jsonIssue(raw, "");
  if (unstorable) return { ok: false, issues: [{ path: unstorable.path ? unstorable.path.split(".") : [], message: unstorable.message }] };
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: result.error.issues.flatMap(fieldIssues) };
}

/** One issue per field: keys a strict object does not know are named each at its own path ("payload.bogus"). */
function fieldIssues(issue: z.core.$ZodIssue): Array<{ path: PropertyKey[]; message: string }> {
  if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ path: [...issue.path, key], message: "unknown field" }));
  return [{ path: issue.path, message: readable(issue) }];
}

/** Parses `raw` with `schema`, or throws a 400 AppError naming every bad field (prefixed with `prefix`). */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown, prefix?: string): z.output<S> {
  const parsed = issuesOf(schema, raw);
  if (parsed.ok) return parsed.value;
  throw validationError(
    parsed.issues.map((i) => ({ path: prefix ? [prefix, ...i.path] : i.path, message: i.message })),
    prefix ?? "input",
  );
}

/** A missing field reads "required", as a form says it, not zod's "Invalid input: expected string, received undefined". */
function readable(issue: z.core.$ZodIssue): string {
  return issue.code === "invalid_type" && /received undefined$/.test(issue.message) ? "required" : issue.message;
}
