import { storableJson, truncateText } from "@jobdeck/safe-json";
import { Prisma } from "@/generated/prisma/client";

const MAX_JSON_CHARS = 8_000;

/**
 * Step outputs, results and errors are kept for the console, cut to a readable size (never inside an emoji) and
 * storable whatever a function returned: a NUL or half an emoji in its output becomes U+FFFD rather than a
 * database error that would fail the request (and the run) after the work was done.
 */
export function truncateJson(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  if (value === undefined || value === null || JSON.stringify(value) === undefined) return Prisma.DbNull;
  const text = storableJson(value);
  if (text.length <= MAX_JSON_CHARS) return JSON.parse(text) as Prisma.InputJsonValue;
  return { truncated: true, length: text.length, preview: truncateText(text, MAX_JSON_CHARS) };
}

/** The same value as JSON text for a raw statement (`${text}::jsonb`), or null for SQL NULL. */
export function storedJsonText(value: unknown): string | null {
  if (value === undefined || value === null || JSON.stringify(value) === undefined) return null;
  const text = storableJson(value);
  if (text.length <= MAX_JSON_CHARS) return text;
  return JSON.stringify({ truncated: true, length: text.length, preview: truncateText(text, MAX_JSON_CHARS) });
}

/** An error as a job or step stores it and the console shows it. */
export interface ErrorView {
  name: string;
  message: string;
  stack?: string;
}

/**
 * A stored error (a job's or a step's `error` column) as an ErrorView: what this app writes is one already, cut to a
 * preview when it was long; anything else (a row written by an older version) is described as it is.
 */
export function storedErrorView(value: Prisma.JsonValue | null): ErrorView | null {
  if (value === null) return null;
  if (typeof value === "object" && !Array.isArray(value)) {
    if (typeof value.name === "string" && typeof value.message === "string") {
      return { name: value.name, message: value.message, ...(typeof value.stack === "string" ? { stack: value.stack } : {}) };
    }
    if (value.truncated === true && typeof value.preview === "string") return { name: "Error", message: value.preview };
  }
  return errorView(typeof value === "string" ? value : JSON.stringify(value));
}

/** Any thrown value (an Error, a serialized error from Inngest, a string) as an ErrorView. */
export function errorView(err: unknown): ErrorView {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack?.split("\n").slice(0, 12).join("\n") };
  if (err && typeof err === "object" && "message" in err) {
    const e = err as { name?: unknown; message?: unknown; stack?: unknown };
    return { name: String(e.name ?? "Error"), message: String(e.message), ...(e.stack ? { stack: String(e.stack) } : {}) };
  }
  return { name: "Error", message: String(err) };
}
