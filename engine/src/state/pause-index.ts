import type { Pause } from "../types.js";

/**
 * Pauses in memory: by event name for waits and cancellations, by correlation id for invokes, by signal for
 * signal waits, by run.
 */
export class PauseIndex {
  private readonly byId = new Map<string, Pause>();
  private readonly byEvent = new Map<string, Set<Pause>>();
  private readonly byCorrelation = new Map<string, Pause>();
  private readonly bySignal = new Map<string, Pause>();
  private readonly byRun = new Map<string, Set<Pause>>();

  get size(): number {
    return this.byId.size;
  }
  get(id: string): Pause | undefined {
    return this.byId.get(id);
  }
  /** False when a pause with this id is already indexed (the same row is never armed twice). */
  add(p: Pause): boolean {
    if (this.byId.has(p.id)) return false;
    this.byId.set(p.id, p);
    if (p.event) {
      let s = this.byEvent.get(p.event);
      if (!s) this.byEvent.set(p.event, (s = new Set()));
      s.add(p);
    }
    if (p.data.correlationId) this.byCorrelation.set(p.data.correlationId, p);
    if (p.data.signal) {
      // A wait that replaced another (onConflict "replace") is the newer one; the one it replaced stays until its
      // timeout but no longer receives the signal, as on Inngest. Recovery arms pauses in id order, so the same wins.
      const current = this.bySignal.get(p.data.signal);
      if (!current || current.id < p.id) this.bySignal.set(p.data.signal, p);
    }
    let r = this.byRun.get(p.runId);
    if (!r) this.byRun.set(p.runId, (r = new Set()));
    r.add(p);
    return true;
  }
  remove(p: Pause): void {
    if (!this.byId.delete(p.id)) return;
    if (p.event) {
      const s = this.byEvent.get(p.event);
      s?.delete(p);
      if (s?.size === 0) this.byEvent.delete(p.event);
    }
    if (p.data.correlationId) this.byCorrelation.delete(p.data.correlationId);
    if (p.data.signal && this.bySignal.get(p.data.signal) === p) this.bySignal.delete(p.data.signal);
    const r = this.byRun.get(p.runId);
    r?.delete(p);
    if (r?.size === 0) this.byRun.delete(p.runId);
  }
  forEvent(name: string): Pause[] {
    const s = this.byEvent.get(name);
    return s ? [...s] : [];
  }
  forCorrelation(id: string): Pause | undefined {
    return this.byCorrelation.get(id);
  }
  forSignal(signal: string): Pause | undefined {
    return this.bySignal.get(signal);
  }
  ofRun(runId: string): Pause[] {
    const s = this.byRun.get(runId);
    return s ? [...s] : [];
  }
}
