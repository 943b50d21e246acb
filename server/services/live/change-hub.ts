import { db } from "../../db";
import { AppError } from "../../errors";
import { jobsVersion } from "../jobs/job-counts";

/** How often an organization's change counter is read while anyone of it listens. */
export const HUB_POLL_MS = 1_000;
/** Streams one organization may hold open at once (tabs, people); past that a new one is refused with 429. */
export const MAX_STREAMS_PER_ORG = 100;

type Listener = (version: number) => void;

interface OrgWatch {
  listeners: Set<Listener>;
  version: number | null;
  timer: ReturnType<typeof setInterval>;
  reading: boolean;
}

/**
 * The organizations' change counters, read once per interval per organization however many of its tabs listen,
 * and told to every listener when they move. A listener is told the current version when it subscribes (once
 * known). Nothing is read for an organization nobody listens to.
 */
class ChangeHub {
  private readonly orgs = new Map<string, OrgWatch>();

  subscribe(orgId: string, listener: Listener): () => void {
    let watch = this.orgs.get(orgId);
    if (watch && watch.listeners.size >= MAX_STREAMS_PER_ORG) {
      throw new AppError("TOO_MANY_REQUESTS", `your organization already has ${MAX_STREAMS_PER_ORG} live streams open; close a tab`);
    }
    if (!watch) {
      const created: OrgWatch = {
        listeners: new Set(),
        version: null,
        reading: false,
        timer: setInterval(() => void this.read(orgId), HUB_POLL_MS),
      };
      created.timer.unref?.();
      this.orgs.set(orgId, created);
      watch = created;
      void this.read(orgId);
    }
    watch.listeners.add(listener);
    if (watch.version !== null) listener(watch.version);
    return () => {
      const w = this.orgs.get(orgId);
      if (!w) return;
      w.listeners.delete(listener);
      if (!w.listeners.size) {
        clearInterval(w.timer);
        this.orgs.delete(orgId);
      }
    };
  }

  /** Organizations watched and streams open (for tests and health). */
  size(): { orgs: number; streams: number } {
    let streams = 0;
    for (const w of this.orgs.values()) streams += w.listeners.size;
    return { orgs: this.orgs.size, streams };
  }

  private async read(orgId: string): Promise<void> {
    const watch = this.orgs.get(orgId);
    if (!watch || watch.reading) return; // a slow read is not stacked on
    watch.reading = true;
    try {
      const version = await jobsVersion(db(), orgId);
      if (version !== watch.version) {
        watch.version = version;
        for (const l of watch.listeners) l(version);
      }
    } catch {
      // The database is away: the streams stay open (their heartbeats go on) and the next read catches up.
    } finally {
      watch.reading = false;
    }
  }
}

// One hub per server process (kept across hot reloads in development, as the database client is).
const KEY = Symbol.for("jobdeck.changeHub");
export const changeHub: ChangeHub = ((globalThis as Record<symbol, unknown>)[KEY] as ChangeHub | undefined) ?? new ChangeHub();
(globalThis as Record<symbol, unknown>)[KEY] = changeHub;
