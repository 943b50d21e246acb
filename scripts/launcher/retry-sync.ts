/**
 * Until the app is synced the engine knows none of its functions and no job starts, so the launcher's first sync
 * failing (a busy machine: `next dev` still compiling /api/inngest when the engine's PUT times out) must not leave
 * the stack idle until someone POSTs /v1/apps/sync. This tries again, backing off, until the sync succeeds.
 */
export interface Syncer {
  syncUrl(url: string): Promise<{ ok: boolean; error?: string }>;
}

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Syncs `url` again after 1, 2, 4 … (at most `maxDelayMs`) seconds until it succeeds; resolves with the attempts made. */
export async function retrySync(apps: Syncer, url: string, log: Log, firstDelayMs = 1_000, maxDelayMs = 30_000): Promise<number> {
  for (let attempt = 1, delay = firstDelayMs; ; attempt++, delay = Math.min(delay * 2, maxDelayMs)) {
    // Unref'd: a launcher that is stopping does not wait for the next try.
    await new Promise((resolve) => setTimeout(resolve, delay).unref());
    const result = await apps.syncUrl(url).catch((err: Error) => ({ ok: false, error: err.message }));
    if (result.ok) {
      log.info({ url, attempt }, "app synced");
      return attempt;
    }
    log.warn({ url, attempt, error: result.error }, "app sync failed; trying again");
  }
}
