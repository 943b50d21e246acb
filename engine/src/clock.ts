/**
 * Time as the engine sees it. Every deadline (sleeps, retries, waits, debounces, crons, timeouts) and every stored
 * time come from here, so a test can move time forward instead of sleeping through it (engine/test/support).
 */
export interface Clock {
  now(): number;
  /** Calls `fire` once `now()` has reached `at`; returns a function that cancels it. */
  schedule(at: number, fire: () => void): () => void;
}

/** setTimeout can wait at most this long; a later deadline is re-armed when it comes closer. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** The machine's clock: the one place the engine reads Date.now() for time it acts on. */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(at, fire) {
    let timer: NodeJS.Timeout;
    const arm = () => {
      const delay = at - Date.now();
      timer = setTimeout(delay > MAX_DELAY_MS ? arm : fire, Math.min(Math.max(delay, 0), MAX_DELAY_MS));
    };
    arm();
    return () => clearTimeout(timer);
  },
};
