import type { EngineContext } from "../context.js";
import { NotFoundError } from "../errors.js";
import { selectApps } from "../store/apps-sql.js";
import { selectAppFunctions, setFunctionPaused } from "../store/functions-sql.js";
import { countRunsOfFunction, countRunsPerFunction } from "../store/runs-sql.js";
import { iso, STATUS_LABEL } from "./run-filter.js";

const DAY_MS = 86_400_000;

/** Functions and apps for the `/v1` API: list, one function, pause and resume, the apps that registered them. */
export class FunctionsApi {
  constructor(private readonly ctx: EngineContext) {}

  async list() {
    const { pool, s, registry, clock } = this.ctx;
    const rows = await countRunsPerFunction(pool, s, clock.now() - DAY_MS);
    const counts = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const m = counts.get(r.function_slug) ?? {};
      m[STATUS_LABEL[r.status]] = r.n;
      counts.set(r.function_slug, m);
    }
    return {
      data: registry
        .all()
        .sort((a, b) => a.slug.localeCompare(b.slug))
        .map((fn) => this.view(fn.slug, counts.get(fn.slug) ?? {})),
    };
  }

  async get(slug: string) {
    const { pool, s, registry, clock } = this.ctx;
    if (!registry.get(slug)) throw new NotFoundError(`function ${slug} not found`);
    const rows = await countRunsOfFunction(pool, s, slug, clock.now() - DAY_MS);
    const counts: Record<string, number> = {};
    for (const r of rows) counts[STATUS_LABEL[r.status]] = r.n;
    return { data: this.view(slug, counts) };
  }

  async setPaused(slug: string, paused: boolean) {
    const { pool, s, registry, scheduler, clock } = this.ctx;
    const fn = registry.get(slug);
    if (!fn) throw new NotFoundError(`function ${slug} not found`);
    await setFunctionPaused(pool, s, slug, paused, clock.now());
    fn.paused = paused;
    if (!paused) scheduler.resumeFunction(slug);
    return { id: slug, paused };
  }

  async apps() {
    const { pool, s, registry } = this.ctx;
    const rows = await selectApps(pool, s);
    return {
      data: rows.map((r) => ({
        id: r.id,
        url: r.url,
        sdk: r.sdk,
        framework: r.framework,
        app_version: r.app_version,
        synced_at: iso(r.synced_at),
        error: r.error,
        functions: registry
          .all()
          .filter((f) => f.appId === r.id && !f.archived)
          .map((f) => f.slug),
      })),
    };
  }

  /**
   * `GET /v1/apps/:app/functions`: Inngest's cqrs.Function list for one app, a bare JSON array as Inngest encodes
   * it (pkg/api/apiv1/functions.go at 253303c); the ids Inngest keeps as UUIDs are this engine's names.
   */
  async appFunctions(appId: string) {
    const { pool, s } = this.ctx;
    const rows = await selectAppFunctions(pool, s, appId);
    return rows.map((r) => ({
      internal_id: r.slug,
      env_id: null,
      app_id: r.app_id,
      id: r.slug,
      name: r.name,
      config: r.config,
      created_at: iso(r.created_at),
      archived_at: r.archived ? iso(r.updated_at) : "0001-01-01T00:00:00Z",
    }));
  }

  private view(slug: string, counts: Record<string, number>) {
    const fn = this.ctx.registry.get(slug);
    if (!fn) throw new NotFoundError(`function ${slug} not found`);
    const cfg = fn.config;
    return {
      id: fn.slug,
      name: fn.name,
      app_id: fn.appId,
      url: fn.url,
      paused: fn.paused,
      archived: fn.archived,
      triggers: cfg.triggers,
      retries: fn.maxAttempts - 1,
      flow_control: {
        concurrency: cfg.concurrency ?? null,
        priority: cfg.priority ?? null,
        throttle: cfg.throttle ?? null,
        rateLimit: cfg.rateLimit ?? null,
        idempotency: cfg.idempotency ?? null,
        debounce: cfg.debounce ?? null,
        batchEvents: cfg.batchEvents ?? null,
        singleton: cfg.singleton ?? null,
        cancel: cfg.cancel ?? null,
        timeouts: cfg.timeouts ?? null,
      },
      in_flight: this.ctx.scheduler.inFlightOf(fn.slug),
      counts_24h: counts,
    };
  }
}
