import type { EngineContext } from "../context.js";
import { EventValidationError, NotFoundError } from "../errors.js";
import type { Ingest } from "../events/ingest.js";
import { validateEvents } from "../events/validate.js";
import type { FnDef } from "../registry.js";

/** What `GET /dev` says the engine is (Inngest's version.Print is its CLI version; this is the engine's). */
export const ENGINE_VERSION = "jobdeck-engine-0.1.0";

/** The name of the event that invokes a function by id (consts.FnInvokeName). */
export const INVOKE_EVENT = "inngest/function.invoked";

/** A registered function as the Dev Server lists it: Inngest's inngest.Function JSON (pkg/inngest/function.go). */
function inngestFunction(fn: FnDef) {
  const cfg = fn.config as unknown as Record<string, unknown>;
  const steps = Object.values((cfg.steps ?? {}) as Record<string, { id?: string; name?: string; runtime?: { url?: string } }>);
  const optional = (key: string) => (cfg[key] === undefined || cfg[key] === null ? {} : { [key]: cfg[key] });
  return {
    id: fn.slug,
    fv: 0,
    name: fn.name,
    slug: fn.slug,
    ...optional("priority"),
    ...optional("timeouts"),
    ...optional("concurrency"),
    ...optional("debounce"),
    triggers: cfg.triggers ?? [],
    ...optional("batchEvents"),
    ...optional("rateLimit"),
    ...optional("throttle"),
    ...optional("cancel"),
    ...optional("singleton"),
    steps: steps.map((s) => ({ id: s.id ?? "step", name: s.name ?? fn.name, uri: s.runtime?.url ?? fn.url, retries: fn.maxAttempts - 1 })),
  };
}

/**
 * The Dev Server's own endpoints (pkg/devserver/api.go and pkg/api/api.go at 253303c): `GET /dev`, which tools
 * read to find what a dev server runs, and `POST /invoke/:slug`, which starts a function with the body as its
 * `inngest/function.invoked` event.
 */
export class DevApi {
  constructor(
    private readonly ctx: EngineContext,
    private readonly ingest: Ingest,
  ) {}

  /** Inngest's InfoResponse, field for field. */
  info() {
    const o = this.ctx.opts;
    const functions = this.ctx.registry
      .all()
      .filter((f) => !f.archived)
      .map(inngestFunction);
    return {
      version: ENGINE_VERSION,
      authed: false,
      startOpts: {
        dir: "",
        urls: o.appUrls,
        autodiscover: false,
        poll: o.resyncIntervalMs > 0,
        poll_interval: Math.round(o.resyncIntervalMs / 1000),
        tick: 150_000_000,
        retry_interval: 0,
        queue_workers: o.maxInFlight,
        require_keys: o.requireKeys,
        connectGatewayPort: 0,
        connectGatewayHost: "",
        connectGRPCConfig: {},
        NoUI: true,
      },
      functions,
      handlers: null,
      isSingleNodeService: true,
      isMissingSigningKey: o.requireKeys && !o.signingKey,
      isMissingEventKeys: o.requireKeys && o.eventKeys.length === 0,
      features: { "run-details-v4": true, "enable-step-metadata": true },
    };
  }

  /**
   * `POST /invoke/:slug`: the body is the event (data, id, ts, user, v, meta), renamed `inngest/function.invoked`
   * with `data._inngest.fn_id` naming the function, as Inngest's event.NewInvocationEvent makes it. It is ingested
   * like any event (id dedup, the seed header, flow control) and starts that function. Answers `{id, status}`.
   */
  async invoke(slug: string, body: unknown, seed: string | undefined): Promise<{ id: string; status: 200 }> {
    // The router has already decoded the slug (Inngest's QueryUnescape).
    const name = slug;
    if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body))
      throw new EventValidationError("Unable to read post data request: the body must be a JSON object (the event)");
    const target = this.ctx.registry.get(name);
    if (!target || target.archived) throw new NotFoundError(`function ${name} not found`);
    const raw = body as Record<string, unknown>;
    const data = raw.data && typeof raw.data === "object" && !Array.isArray(raw.data) ? (raw.data as Record<string, unknown>) : {};
    if (raw.data !== undefined && raw.data !== null && data !== raw.data)
      throw new EventValidationError("Invalid invocation event: data must be an object");
    const event = {
      ...raw,
      name: INVOKE_EVENT,
      data: {
        ...data,
        _inngest: { source_app_id: "", source_fn_id: "", source_fn_v: 0, fn_id: target.slug, expire: 0, gid: "", name: "" },
      },
    };
    let events: ReturnType<typeof validateEvents>;
    try {
      events = validateEvents(event, { internal: true, maxEventBytes: this.ctx.opts.maxEventBytes });
    } catch (e) {
      if (e instanceof EventValidationError) throw new EventValidationError(`Invalid invocation event: ${e.message}`);
      throw e;
    }
    const [id] = await this.ingest.ingest(events, seed);
    return { id: id as string, status: 200 };
  }
}
