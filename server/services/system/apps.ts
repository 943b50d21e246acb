import { AppError } from "../../errors";
import type { Scope } from "../../identity";
import { auditedRemote } from "../audit/record-audit";
import { v1 } from "./inngest-admin";
import { inngestApi } from "./inngest-target";

/** A synced app as the Apps page shows it. */
export interface AppView {
  id: string;
  /** Where Inngest calls the app's functions; an operator's to see (it is the installation's address). */
  url: string | null;
  sdk: string | null;
  framework: string | null;
  appVersion: string | null;
  syncedAt: string | null;
  /** Why the last sync failed, when it did. */
  error: string | null;
  functionCount: number;
  functions: string[];
}

interface RawApp {
  id: string;
  url: string;
  sdk?: string | null;
  framework?: string | null;
  app_version?: string | null;
  synced_at?: string | null;
  error?: string | null;
  functions?: string[];
}

/** The apps Inngest has synced, with their functions and the last sync's outcome (the embedded engine's `/v1/apps`). */
export async function listApps(_scope: Scope, operator: boolean): Promise<AppView[]> {
  const apps = await v1<RawApp[]>("/v1/apps").catch((err: unknown) => {
    if (err instanceof AppError && /answered 404/.test(err.message))
      throw new AppError("UNAVAILABLE", "this Inngest's API does not list apps: look in the Inngest dashboard");
    throw err;
  });
  return apps.map((a) => ({
    id: a.id,
    url: operator ? a.url : null,
    sdk: a.sdk ?? null,
    framework: a.framework ?? null,
    appVersion: a.app_version ?? null,
    syncedAt: a.synced_at ?? null,
    error: a.error ?? null,
    functionCount: a.functions?.length ?? 0,
    functions: a.functions ?? [],
  }));
}

/**
 * Asks Inngest to sync every known app again now (it reads each app's functions from its URL). Installation-wide,
 * so an operator's action; answers each app's outcome.
 */
export async function resyncApps(scope: Scope, operator: boolean): Promise<Array<{ url: string; ok: boolean; error: string | null }>> {
  if (!operator) throw new AppError("FORBIDDEN", "only an operator can resync apps: it reloads the functions every organization runs");
  return auditedRemote(
    scope,
    async () => {
      const res = await inngestApi("/v1/apps/sync", { method: "POST", timeoutMs: 30_000 }).catch((err: Error) => {
        throw new AppError("UNAVAILABLE", `Inngest did not answer: ${err.message}`);
      });
      if (res.status === 404) throw new AppError("UNAVAILABLE", "this Inngest cannot resync from its API: resync in the Inngest dashboard");
      if (!res.ok) throw new AppError("UNAVAILABLE", `Inngest answered ${res.status} to the resync`);
      const out = ((await res.json()) as { data: Array<{ url: string; ok: boolean; error?: string }> }).data;
      const result = out.map((o) => ({ url: o.url, ok: o.ok, error: o.error ?? null }));
      return { result, audit: { action: "apps.resync", targetType: "app", targetId: null, after: { synced: result.length } } };
    },
    { operator: true },
  );
}
