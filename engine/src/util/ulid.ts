import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function encode(timeMs: number, entropy: Uint8Array): string {
  let out = "";
  let t = timeMs;
  for (let i = 9; i >= 0; i--) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  // 80 bits of entropy -> 16 chars, 5 bits at a time, most significant first.
  let bits = 0;
  let acc = 0;
  let tail = "";
  for (const byte of entropy) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      tail += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out + tail;
}

export function ulidTime(id: string): number {
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + ALPHABET.indexOf(id[i] as string);
  return t;
}

let lastTime = -1;
let lastEntropy = new Uint8Array(10);

/** Monotonic ULID: ids made in the same millisecond still sort in creation order. */
// The default reads the machine clock: ids only need to sort roughly by time; the engine passes its clock's time.
export function ulid(now = Date.now()): string {
  if (now <= lastTime) {
    const e = lastEntropy;
    for (let i = 9; i >= 0; i--) {
      e[i] = ((e[i] as number) + 1) & 0xff;
      if (e[i] !== 0) break;
    }
    return encode(lastTime, e);
  }
  lastTime = now;
  lastEntropy = new Uint8Array(randomBytes(10));
  return encode(now, lastEntropy);
}

/**
 * The SDK's `x-inngest-event-id-seed: <millis>,<base64 10 bytes>`: the server derives event i's ULID from it
 * by adding the 1-based index to bytes 6..9 (big-endian uint32), so a retried send yields the same ids.
 */
export function parseSeed(header: string | undefined): { time: number; entropy: Uint8Array } | null {
  if (!header) return null;
  const [ms, b64] = header.split(",");
  const time = Number(ms);
  if (!Number.isSafeInteger(time) || time < 0 || !b64) return null;
  const entropy = Buffer.from(b64, "base64");
  if (entropy.length !== 10) return null;
  return { time, entropy: new Uint8Array(entropy) };
}

export function ulidFromSeed(seed: { time: number; entropy: Uint8Array }, index: number): string {
  const e = new Uint8Array(seed.entropy);
  const view = new DataView(e.buffer);
  view.setUint32(6, (view.getUint32(6) + index + 1) >>> 0);
  return encode(seed.time, e);
}

/** Whether `id` has the shape of a ULID (26 Crockford base-32 characters), as the ids this engine makes. */
export function isUlid(id: string): boolean {
  return /^[0-9A-HJKMNP-TV-Z]{26}$/i.test(id);
}
