import type { Registry } from "../registry.js";

/**
 * Which functions' requests must wait right now: a paused function's, and those of an app that does not answer
 * (sync/app-availability.ts). The scheduler parks their items until released.
 */
export class Holds {
  private readonly heldApps = new Set<string>();

  constructor(private readonly registry: Registry) {}

  isHeld(fnSlug: string): boolean {
    const fn = this.registry.get(fnSlug);
    return fn !== undefined && (fn.paused || this.heldApps.has(fn.appId));
  }

  isAppHeld(appId: string): boolean {
    return this.heldApps.has(appId);
  }

  holdApp(appId: string): void {
    this.heldApps.add(appId);
  }

  /** Releases an app; returns the functions whose parked requests may go back into the queue. */
  releaseApp(appId: string): string[] {
    this.heldApps.delete(appId);
    return this.registry
      .all()
      .filter((f) => f.appId === appId && !f.paused)
      .map((f) => f.slug);
  }
}
