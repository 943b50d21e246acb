import { env } from "@/env";

/** Where the app sends events and where Inngest lives: the same resolution the Inngest SDK uses. */
export function inngestTarget(): { url: string; mode: "dev" | "cloud" } {
  const e = env();
  const devUrl = e.INNGEST_DEV && /^https?:\/\//.test(e.INNGEST_DEV) ? e.INNGEST_DEV : undefined;
  const dev = Boolean(devUrl) || e.INNGEST_DEV === "1" || e.INNGEST_DEV === "true";
  const url = e.INNGEST_BASE_URL ?? devUrl ?? (dev ? "http://127.0.0.1:8288" : "https://api.inngest.com");
  return { url: url.replace(/\/$/, ""), mode: dev ? "dev" : "cloud" };
}

/** Where people look at runs themselves: Inngest Cloud's dashboard, or the UI a Dev Server or self-hosted Inngest serves. */
export function inngestDashboardUrl(): string {
  const { url, mode } = inngestTarget();
  return mode === "cloud" && !env().INNGEST_BASE_URL ? "https://app.inngest.com" : url;
}

/**
 * A call to Inngest's REST API (the embedded engine, the Dev Server and Inngest Cloud serve the same /v1 paths),
 * authenticated with the signing key whenever one is set, as Inngest Cloud's API expects and as the embedded engine
 * requires in the stack `npm run dev` / `npm start` launch (the Dev Server ignores it).
 */
export async function inngestApi(
  path: string,
  init: { method?: "GET" | "POST" | "PUT"; timeoutMs?: number; body?: unknown } = {},
): Promise<Response> {
  const { url } = inngestTarget();
  const key = env().INNGEST_SIGNING_KEY;
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  if (init.body !== undefined) headers["content-type"] = "application/json";
  return fetch(`${url}${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 5_000),
  });
}
