import { relayOutbox } from "./relay-outbox";

/** Events per pass: the engine writes a send of up to 100 events in one journal flush. */
const PER_PASS = 100;

/** Each organization's bulk-created events waiting for the bulk lane, oldest first, in passes of PER_PASS. */
const waiting = new Map<string, Array<{ ids: string[]; done: () => void }>>();
let draining = false;

/**
 * Relays a bulk create's start events in the background, one pass at a time: the call answers once its jobs are
 * committed (their events are in the outbox), not after the engine took 1,000 events, which was ~90% of a batch
 * call. The lane takes organizations in turn, a pass each, so one tenant's 20,000 never hold another's ten behind
 * them; single creates keep their own passes (relay-now.ts). The returned promise settles when every event was
 * sent or left to the relay loop, which picks up whatever this process did not get to (a crash, a failed send).
 */
export function relayBulk(orgId: string, ids: readonly string[]): Promise<void> {
  if (!ids.length) return Promise.resolve();
  const queue = waiting.get(orgId) ?? [];
  waiting.set(orgId, queue);
  const passes: Promise<void>[] = [];
  for (let i = 0; i < ids.length; i += PER_PASS) {
    passes.push(new Promise((done) => queue.push({ ids: ids.slice(i, i + PER_PASS), done })));
  }
  if (!draining) void drain();
  return Promise.all(passes).then(() => undefined);
}

async function drain(): Promise<void> {
  draining = true;
  try {
    while (waiting.size) {
      // One pass for each organization with events waiting, in turn.
      for (const [orgId, queue] of [...waiting]) {
        const pass = queue.shift();
        if (!queue.length) waiting.delete(orgId);
        if (!pass) continue;
        // A failed send is kept with its error and a retry time by relayOutbox; the relay loop sends it later.
        await relayOutbox({ ids: pass.ids, limit: pass.ids.length }).catch(() => undefined);
        pass.done();
      }
    }
  } finally {
    draining = false;
  }
}
