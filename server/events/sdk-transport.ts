import { STATUS_CODES } from "node:http";
import { Agent, request } from "undici";

/**
 * How the app's Inngest SDK talks and reads its configuration, tuned for per-request cost without changing
 * anything on the wire (measured in `npm run bench:profile`, written up in engine/ARCHITECTURE.md):
 *
 * - The SDK rebuilds a filtered copy of `process.env` several times per request (`getProcessEnv`: on every
 *   request, and inside every `inngestHeaders` call: ~8 times per one-step run). Node's `process.env` is backed
 *   by the C environment, so enumerating it crosses into C++ for every variable (~35–45 µs a copy here).
 *   `snapshotProcessEnv` replaces it with a JavaScript copy that forwards every assignment to the real environment,
 *   so enumeration is cheap and a write (TZ, a variable for a child process, native code's getenv) still lands.
 * - Checkpoints (`POST /v1/checkpoint/:run/async`, one per step) go through the global WHATWG `fetch`, which
 *   builds a Request, an AbortSignal and a body stream per call. `keepAliveFetch` makes the same HTTP request
 *   through undici's lower-level `request` on a keep-alive pool and hands the SDK a standard `Response`.
 * Both are checked against the SDK by tests/integration/sdk-transport.test.ts, so an SDK upgrade that stops
 * reading the environment or calling the client's fetch this way fails a test instead of silently costing more.
 */

const SNAPSHOT = Symbol.for("jobdeck.processEnvSnapshot");
let reads = 0;

/** How many times anything read a variable of the snapshotted environment (the SDK reads all of them per request). */
export const envReads = (): number => reads;

/**
 * Replaces `process.env` with a write-through JavaScript copy, once per process. Idempotent.
 *
 * Each variable is an accessor on an ordinary object: a read returns the copy's value, and an assignment goes to the
 * real environment first (which coerces it to a string and, for TZ, resets the time zone) and keeps what it stored.
 * An assignment to a variable the copy lacks falls through to its prototype, whose `set` trap does the same and adds
 * the variable. An ordinary object, not a Proxy, because the SDK lists the whole environment ~8 times per run: V8 lists
 * a Proxy through its generic path, ~25 µs per listing of ~70 variables here against ~9 µs for these accessors,
 * which made the listings 14% of the SDK app's CPU in `npm run bench:profile`. What an ordinary object cannot
 * forward is a `delete` (or `Object.defineProperty`): the variable is gone (or changed) for JavaScript and for the
 * child processes it spawns, while native code's getenv() and the time zone still see its last assigned value.
 */
export function snapshotProcessEnv(): void {
  if (SNAPSHOT in process.env) return;
  const real = process.env;
  const define = (target: object, key: string): void => {
    let value = real[key];
    Object.defineProperty(target, key, {
      get() {
        reads++;
        return value;
      },
      set(next: unknown) {
        real[key] = next as string; // the real environment coerces to a string, as process.env always has
        value = real[key];
      },
      enumerable: true,
      configurable: true,
    });
  };
  // Its target inherits from Object.prototype, as the real environment does (process.env.hasOwnProperty, String()).
  const newVariables = new Proxy(
    {},
    {
      set(_target, key, next, receiver) {
        if (typeof key !== "string") return false;
        real[key] = next as string;
        define(receiver as object, key);
        return true;
      },
    },
  );
  const copy = Object.create(newVariables) as NodeJS.ProcessEnv;
  // The marker is a symbol, so listings of the environment (keys, entries, spreads) never show it.
  Object.defineProperty(copy, SNAPSHOT, { value: true, enumerable: false });
  for (const key of Object.keys(real)) define(copy, key);
  process.env = copy;
}

const pool = new Agent({ connections: 64 });

/** `fetch` for the SDK's own calls to Inngest (checkpoints, sends, API): the same request on a keep-alive pool. */
export async function keepAliveFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  // The SDK passes a URL string and a plain init; anything else (a Request object, a signal) takes the standard path.
  if (typeof input !== "string" && !(input instanceof URL)) return fetch(input, init);
  if (init?.signal || (init?.body !== undefined && init.body !== null && typeof init.body !== "string")) return fetch(input, init);
  const headers: Record<string, string> = {};
  const given = init?.headers;
  if (given instanceof Headers || Array.isArray(given)) {
    for (const [key, value] of new Headers(given)) headers[key] = value;
  } else if (given) {
    for (const [key, value] of Object.entries(given)) if (value !== undefined) headers[key.toLowerCase()] = String(value);
  }
  let res: Awaited<ReturnType<typeof request>>;
  let body: ArrayBuffer;
  try {
    res = await request(input, {
      method: (init?.method ?? "GET") as "GET",
      headers,
      body: init?.body as string | undefined,
      dispatcher: pool,
    });
    body = await res.body.arrayBuffer();
  } catch (err) {
    // As fetch reports a request that got no answer; the SDK treats "fetch failed" as a plain network failure.
    throw new TypeError("fetch failed", { cause: err });
  }
  const out = new Headers();
  for (const [key, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) out.append(key, v);
    else if (value !== undefined) out.set(key, value);
  }
  const nullBody = res.statusCode === 204 || res.statusCode === 304 || (res.statusCode >= 100 && res.statusCode < 200);
  return new Response(nullBody ? null : body, { status: res.statusCode, statusText: STATUS_CODES[res.statusCode] ?? "", headers: out });
}

/**
 * The SDK's `checkpointing` option from STEP_CHECKPOINT_BUFFER / STEP_CHECKPOINT_INTERVAL_MS (env.ts): a buffer of 1
 * is Inngest's default (`true`, a report per step); more reports finished steps together, between steps.
 */
export function checkpointingOption(settings: {
  STEP_CHECKPOINT_BUFFER: number;
  STEP_CHECKPOINT_INTERVAL_MS: number;
}): true | { bufferedSteps: number; maxInterval: number } {
  if (settings.STEP_CHECKPOINT_BUFFER <= 1) return true;
  return { bufferedSteps: settings.STEP_CHECKPOINT_BUFFER, maxInterval: settings.STEP_CHECKPOINT_INTERVAL_MS };
}
