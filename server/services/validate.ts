import type { z } from "zod";
import { validationError } from "../errors";

/** Parses `raw` with `schema`, or throws a 400 AppError naming every bad field (prefixed with `prefix`). */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown, prefix?: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: prefix ? [prefix, ...i.path] : i.path, message: i.message }));
  throw validationError(issues, prefix ?? "input");
}
