import { z } from "zod";
import type { EngineContext } from "../context.js";
import type { CronScheduler } from "../cron.js";
import { ConfigError, EngineError } from "../errors.js";
import { acceptedBearers } from "../protocol/signing.js";
import { defineFunction, type FnDef } from "../registry.js";
import { deleteApp, saveAppSync, selectAppUrls, setAppSyncError } from "../store/apps-sql.js";
import { archiveFunctionsOfApp } from "../store/functions-sql.js";
import { ulid } from "../util/ulid.js";

/** A sync the engine refuses (a bad config, a missing signing key, a server-kind mismatch), with its status. */
export class SyncError extends EngineError {}

const registerBodySchema = z.looseObject({
  url: z.string().url(),
  appName: z.string().min(1),
  functions: z.array(z.unknown()).default([]),
  framework: z.string().optional(),
  sdk: z.string().optional(),
  appVersion: z.string().optional(),
  deployType: z.string().optional(),
});

/** In-band sync answers carry the config under these names. */
const inBandSchema = z.looseObject({
  app_id: z.string().min(1),
  url: z.string().url(),
  functions: z.array(z.unknown()),
  framework: z.string().optional(),
  sdk: z.string().optional(),
  appVersion: z.string().optional(),
});

/**
 * Apps and their functions: `POST /fn/register` (out-of-band sync), in-band sync answers, and the periodic
 * re-sync that PUTs every known serve URL, like the Dev Server's `-u` flag and its 5-second poll.
 */
export class Apps {
  private resyncTimer: NodeJS.Timeout | undefined;
  private syncing = false;
  private readonly extraUrls = new Set<string>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly cron: CronScheduler,
  ) {
    for (const u of ctx.opts.appUrls) this.extraUrls.add(u);
  }

  /** The out-of-band register call from the SDK. */
  async register(
    body: unknown,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<{ ok: true; modified: boolean; app_id: string; sync_id: string }> {
    const c = this.ctx;
    if (c.opts.signingKey && !acceptedBearers(c.opts, true).includes(String(headers.authorization ?? ""))) {
      throw new SyncError(401, "unauthorized: the authorization header does not carry this engine's signing key");
    }
    const expected = headers["x-inngest-expected-server-kind"];
    const kind = c.opts.signingKey ? "cloud" : "dev";
    if (typeof expected === "string" && expected !== "" && expected !== kind) {
      throw new SyncError(400, `server kind mismatch: the SDK expected "${expected}" but this engine runs as "${kind}"`);
    }
    const parsed = registerBodySchema.safeParse(body);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new SyncError(400, `invalid register body: ${i?.path.join(".") || "body"}: ${i?.message}`);
    }
    const b = parsed.data;
    return this.store(b.appName, b.url, b.functions, { sdk: b.sdk, framework: b.framework, appVersion: b.appVersion });
  }

  private async store(
    appId: string,
    url: string,
    rawFunctions: unknown[],
    meta: { sdk?: string; framework?: string; appVersion?: string },
  ): Promise<{ ok: true; modified: boolean; app_id: string; sync_id: string }> {
    const c = this.ctx;
    let defs: FnDef[];
    try {
      defs = rawFunctions.map((f) => defineFunction(appId, f));
    } catch (err) {
      if (err instanceof ConfigError) throw new SyncError(400, err.message);
      throw err;
    }
    const slugs = new Set<string>();
    for (const d of defs) {
      if (slugs.has(d.slug)) throw new SyncError(400, `function "${d.slug}" appears twice`);
      slugs.add(d.slug);
      const owner = c.registry.get(d.slug);
      if (owner && owner.appId !== appId && !owner.archived) {
        throw new SyncError(400, `function "${d.slug}" already belongs to app "${owner.appId}"`);
      }
    }
    const app = { id: appId, url, sdk: meta.sdk, framework: meta.framework, appVersion: meta.appVersion };
    const { before, archived: archivedSlugs } = await saveAppSync(c.pool, c.s, app, defs, c.clock.now());
    const prevOf = new Map(before.map((r) => [r.slug, r]));
    // Changed: a function is new, back from the archive or has another config, or one is gone.
    let modified = archivedSlugs.length > 0;
    for (const d of defs) {
      const prev = prevOf.get(d.slug);
      if (!prev || prev.archived || JSON.stringify(prev.config) !== JSON.stringify(d.config)) modified = true;
      d.paused = prev?.paused ?? false; // pausing is the operator's, not the app's: a sync keeps it
    }
    const archived = archivedSlugs.map((slug) => ({ ...(c.registry.get(slug) as FnDef), archived: true })).filter((d) => d.slug);
    c.registry.setMany([...defs, ...archived]);
    this.cron.sync([...defs, ...archived]);
    c.availability.release(appId); // it just answered
    if (modified) c.log.info({ app: appId, functions: defs.map((d) => d.slug), archived: archivedSlugs }, "app synced");
    return { ok: true, modified, app_id: appId, sync_id: ulid() };
  }

  /** PUTs a serve URL: asks for an in-band answer and falls back to the SDK registering out-of-band. */
  async syncUrl(url: string): Promise<{ ok: boolean; error?: string; appId?: string }> {
    const c = this.ctx;
    const res = await c.client.call(url, { url }, { "x-inngest-sync-kind": "in_band" }, "PUT");
    let error: string | undefined;
    if (!res.ok) error = `could not reach ${url}: ${res.error}`;
    else if (res.reply.status >= 300) error = `${url} answered HTTP ${res.reply.status}: ${res.reply.body.slice(0, 300)}`;
    else {
      let body: unknown = null;
      try {
        body = JSON.parse(res.reply.body);
      } catch {
        body = null;
      }
      const inBand = inBandSchema.safeParse(body);
      if (inBand.success) {
        try {
          const r = await this.store(inBand.data.app_id, inBand.data.url, inBand.data.functions, inBand.data);
          return { ok: true, appId: r.app_id };
        } catch (err) {
          error = (err as Error).message;
        }
      } else {
        return { ok: true }; // the SDK registered itself through POST /fn/register during the PUT
      }
    }
    c.log.warn({ url, error }, "app sync failed");
    await setAppSyncError(c.pool, c.s, url, error).catch(() => {});
    return { ok: false, error };
  }

  addUrl(url: string): void {
    this.extraUrls.add(url);
  }

  async knownUrls(): Promise<string[]> {
    const stored = await selectAppUrls(this.ctx.pool, this.ctx.s);
    // The URLs given at start come last, so they are synced last and win: an app stored at an older address (the
    // same app served elsewhere by an earlier start) is synced first and then overridden, not the other way round.
    return [...new Set([...stored.filter((u) => !this.extraUrls.has(u)), ...this.extraUrls])].map((u) => {
      // Apps register serve URLs; drop per-function query strings so one PUT covers the app.
      const parsed = new URL(u);
      parsed.searchParams.delete("fnId");
      parsed.searchParams.delete("stepId");
      return parsed.toString();
    });
  }

  async syncAll(): Promise<Array<{ url: string; ok: boolean; error?: string }>> {
    if (this.syncing) return [];
    this.syncing = true;
    try {
      const urls = await this.knownUrls();
      const out: Array<{ url: string; ok: boolean; error?: string }> = [];
      for (const url of urls) out.push({ url, ...(await this.syncUrl(url)) });
      return out;
    } finally {
      this.syncing = false;
    }
  }

  startResync(): void {
    if (this.ctx.opts.resyncIntervalMs <= 0) return;
    this.resyncTimer = setInterval(() => void this.syncAll().catch(() => {}), this.ctx.opts.resyncIntervalMs);
    this.resyncTimer.unref();
  }

  stop(): void {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
  }

  async removeApp(appId: string): Promise<boolean> {
    const c = this.ctx;
    if (!(await deleteApp(c.pool, c.s, appId))) return false;
    const slugs = await archiveFunctionsOfApp(c.pool, c.s, appId, c.clock.now());
    const archived = slugs.map((slug) => ({ ...(c.registry.get(slug) as FnDef), archived: true })).filter((d) => d.slug);
    c.registry.setMany(archived);
    this.cron.sync(archived);
    return true;
  }
}
