import type { Logger } from "pino";
import type { EngineBus } from "../bus.js";
import type { Clock } from "../clock.js";
import type { SdkClient } from "../protocol/sdk-client.js";
import type { Holds } from "../sched/holds.js";
import type { Scheduler } from "../sched/scheduler.js";

/**
 * An app that cannot be reached is not a function that failed. When a request to an app is refused, reset, not
 * resolved, or answered a bare 502/503 (no body) by something that is not the SDK (a dev server or proxy while the
 * app restarts), the app is held: its requests wait, parked like a paused function's, and do not spend their
 * retries; the app is probed with backoff and released the moment it answers. After a restart every known app
 * starts held until its first probe answers, so nothing is dispatched before the app listens.
 *
 * A gateway's page (a 502/503 with a body, any 504) is a failed attempt instead, as on Inngest: a proxy timing
 * out on a slow function or a platform reporting a crashed one answers while the app itself is up, so its probe
 * passes at once and holding would send the same request again and again without ever ending the run. Which answer
 * is which is decided by `appUnreachable` (protocol/response.ts); this module keeps the holds.
 */

const FIRST_PROBE_MS = 100;
const MAX_PROBE_MS = 5000;
/**
 * How often one request may find the app away again right after it answered a probe. A restart costs a request a
 * hold or two; a request the app crashes on (reset, then restarted) would otherwise be held and re-sent for ever.
 */
const MAX_HOLDS_PER_REQUEST = 5;
/** Requests whose holds are counted at most; the oldest count is dropped first (a run cancelled while held). */
const MAX_COUNTED_REQUESTS = 10_000;

interface Held {
  url: string;
  since: number;
  error: string;
  delay: number;
  timer?: NodeJS.Timeout;
}

/**
 * Probes are spaced on real time (timers, not the engine's clock): they are about the network, not about any run's
 * deadline. When an app was held is read from the engine's clock, like every time the engine shows.
 */
export class AppAvailability {
  private readonly held = new Map<string, Held>();
  /** Queue item id → how many times it found its app away, since it last got an answer. */
  private readonly holdsOf = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly client: SdkClient,
    private readonly holds: Holds,
    private readonly scheduler: Scheduler,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly bus: EngineBus,
  ) {}

  isHeld(appId: string): boolean {
    return this.held.has(appId);
  }

  /** Why an app's requests wait, for "why is it waiting". */
  reason(appId: string): string | undefined {
    const h = this.held.get(appId);
    if (!h) return undefined;
    return `app ${appId} is not answering at ${h.url} since ${new Date(h.since).toISOString()} (${h.error}); its requests wait and resume when it answers`;
  }

  /** For /health. */
  list(): Array<{ app: string; url: string; since: string; error: string }> {
    return [...this.held].map(([app, h]) => ({ app, url: h.url, since: new Date(h.since).toISOString(), error: h.error }));
  }

  /** Holds the app's requests and starts probing it (no-op if it is held already). */
  hold(appId: string, fnUrl: string, error: string, opts: { quiet?: boolean } = {}): void {
    if (this.stopped || this.held.has(appId)) return;
    const url = serveUrlOf(fnUrl);
    if (!opts.quiet) this.log.warn({ app: appId, url, error }, "app unreachable: holding its requests until it answers");
    const h: Held = { url, since: this.clock.now(), error, delay: FIRST_PROBE_MS };
    this.held.set(appId, h);
    this.holds.holdApp(appId);
    this.schedule(appId, h);
  }

  /**
   * A request found its app away: hold the app and say true (the request waits with it), or say false once this
   * request has been held MAX_HOLDS_PER_REQUEST times, so that it counts as a failed attempt instead.
   */
  holdRequest(appId: string, fnUrl: string, itemId: string, error: string): boolean {
    const n = (this.holdsOf.get(itemId) ?? 0) + 1;
    this.holdsOf.delete(itemId); // re-inserted below, so the first key is always the count least recently touched
    if (n > MAX_HOLDS_PER_REQUEST) return false;
    this.holdsOf.set(itemId, n);
    if (this.holdsOf.size > MAX_COUNTED_REQUESTS) this.holdsOf.delete(this.holdsOf.keys().next().value as string);
    this.hold(appId, fnUrl, error);
    return true;
  }

  /** The request got an answer (or counted as failed): its holds start from nothing again. */
  answered(itemId: string): void {
    this.holdsOf.delete(itemId);
  }

  /** Seen answering (a sync, a probe, any SDK answer): release it. */
  release(appId: string): void {
    const h = this.held.get(appId);
    if (!h) return;
    clearTimeout(h.timer);
    this.held.delete(appId);
    this.log.info({ app: appId, heldMs: this.clock.now() - h.since }, "app answers again: resuming its requests");
    for (const slug of this.holds.releaseApp(appId)) this.scheduler.resumeFunction(slug);
  }

  stop(): void {
    this.stopped = true;
    for (const h of this.held.values()) clearTimeout(h.timer);
  }

  private schedule(appId: string, h: Held): void {
    h.timer = setTimeout(() => void this.probe(appId, h), h.delay);
    h.timer.unref();
  }

  private async probe(appId: string, h: Held): Promise<void> {
    if (this.stopped || this.held.get(appId) !== h) return;
    const answered = await this.client.probe(h.url);
    if (this.held.get(appId) !== h) return;
    this.bus.emit("app.probed", answered === true ? { appId } : { appId, error: answered });
    if (answered === true) return this.release(appId);
    h.error = answered;
    h.delay = Math.min(h.delay * 2, MAX_PROBE_MS);
    this.schedule(appId, h);
  }
}

/** The serve endpoint a function's step URL belongs to (without fnId/stepId). */
export function serveUrlOf(fnUrl: string): string {
  const u = new URL(fnUrl);
  u.searchParams.delete("fnId");
  u.searchParams.delete("stepId");
  return u.toString();
}
