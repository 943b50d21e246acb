import { jsonIssue } from "@jobdeck/safe-json";
import type { z } from "zod";
import { validationError } from "../errors";

/**
 * Parses `raw` with `schema`, or throws a 400 AppError naming every bad field (prefixed with `prefix`). Before the
 * schema, anything PostgreSQL could not store (a NUL, half an emoji, nesting past 100 levels) is refused by name,
 * so it is a 400 here rather than a database error later.
 */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown, prefix?: string): z.output<S> {
  const unstorable = jsonIssue(raw, prefix ?? "");
  if (unstorable)
    throw validationError([{ path: unstorable.path ? unstorable.path.split(".") : [], message: unstorable.message }], prefix ?? "input");
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: prefix ? [prefix, ...i.path] : i.path, message: readable(i) }));
  throw validationError(issues, prefix ?? "input");
}

/** A missing field reads "required", as a form says it, not zod's "Invalid input: expected string, received undefined". */
function readable(issue: z.core.$ZodIssue): string {
  return issue.code === "invalid_type" && /received undefined$/.test(issue.message) ? "required" : issue.message;
}
