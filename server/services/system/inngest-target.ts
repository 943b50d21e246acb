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
 * GET from Inngest's REST API (the embedded engine, the Dev Server or Inngest Cloud serve the same /v1 paths);
 * in cloud mode authenticated with the signing key, as Inngest's API expects.
 */
export async function inngestApiGet(path: string, timeoutMs = 5_000): Promise<Response> {
  const { url, mode } = inngestTarget();
  const key = env().INNGEST_SIGNING_KEY;
  return fetch(`${url}${path}`, {
    headers: mode === "cloud" && key ? { authorization: `Bearer ${key}` } : {},
    signal: AbortSignal.timeout(timeoutMs),
  });
}
