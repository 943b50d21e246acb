import type { Journal } from "./store/journal.js";

/**
 * A unit of work: the state changes made for one event, answer or timer go to the journal; `after` runs once they
 * are durable (a queue item becomes dispatchable, a pause is armed, a run leaves the cache). Nothing is acted on
 * before `commit` resolves.
 */
export class Unit {
  readonly after: Array<() => void> = [];

  async commit(journal: Journal): Promise<void> {
    await journal.commit();
    for (const f of this.after) f();
  }

  /** Journals `write`'s changes for one lone event and commits them beside the flush under way when it can. */
  async commitBeside(journal: Journal, write: () => void): Promise<void> {
    await journal.commitBeside(write);
    for (const f of this.after) f();
  }
}
