/** What the console's JSON fields and server-checked forms share. */

/** A textarea's text as a JSON object ("" is {}), or the reason it is not one. */
export function parseJsonObject(text: string): { value: Record<string, unknown> } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text || "{}");
  } catch {
    return { error: "must be valid JSON" };
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return { error: "must be a JSON object" };
  return { value: parsed as Record<string, unknown> };
}

/** The server's field-level reasons of a rejected call (AppError details), keyed by `field(path)`. */
export function fieldErrorsOf(e: { data?: unknown }, field: (path: string) => string): Record<string, string> {
  const details = (e.data as { details?: Array<{ path: string; message: string }> } | undefined)?.details ?? [];
  return Object.fromEntries(details.map((d) => [field(d.path), d.message]));
}
