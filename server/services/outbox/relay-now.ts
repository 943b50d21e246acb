import { relayOutbox } from "./relay-outbox";

/** At most this many relay passes of just-written events at once in this process, each taking what waits. */
const PASSES = 2;
/** Events per pass: the engine takes a send of more than one event into a journal flush of at most 100. */
const PER_PASS = 100;

const waiting: Array<{ ids: string[]; done: () => void }> = [];
let passes = 0;

/**
 * Relays events just written (a create's start event) right away, and resolves once they were sent or left to the
 * relay loop. Concurrent callers share passes: while a pass is under way, the events written meanwhile wait and go
 * together in the next one, one claim, one send and one "sent" mark for all of them, where a pass per create cost
 * three statements and a request each. With nothing under way a caller's pass starts at once, so a lone create
 * waits for no one.
 */
export function relayNow(ids: readonly string[]): Promise<void> {
  if (!ids.length) return Promise.resolve();
  return new Promise((done) => {
    waiting.push({ ids: [...ids], done });
    if (passes < PASSES) void drain();
  });
}

async function drain(): Promise<void> {
  passes++;
  try {
    while (waiting.length) {
      const batch: typeof waiting = [];
      let count = 0;
      while (waiting.length && (count === 0 || count + (waiting[0]?.ids.length ?? 0) <= PER_PASS)) {
        const next = waiting.shift() as (typeof waiting)[number];
        batch.push(next);
        count += next.ids.length;
      }
      const ids = batch.flatMap((b) => b.ids);
      // A failed send is kept with its error and a retry time by relayOutbox; the relay loop sends it later.
      await relayOutbox({ ids, limit: ids.length }).catch(() => undefined);
      for (const b of batch) b.done();
    }
  } finally {
    passes--;
  }
}
