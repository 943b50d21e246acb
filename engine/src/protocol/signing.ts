import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import canonicalize from "canonicalize";
import type { ResolvedOptions } from "../options.js";

/** The key the SDK signs with: the signing key minus its "signkey-<env>-" prefix, as UTF-8 text. */
function hmacKey(signingKey: string): string {
  return signingKey.replace(/^signkey-\w+-/, "");
}

/** Canonical JSON (RFC 8785), which is what the Go server signs and the SDK re-derives before checking. */
export function canonicalJson(value: unknown): string {
  return canonicalize(value) ?? "null";
}

/**
 * `X-Inngest-Signature: t=<unix seconds>&s=<hex HMAC-SHA256(body + t)>`. `now` defaults to the machine's clock, not
 * the engine's: the SDK checks the signature's time against its own wall clock.
 */
export function sign(body: string, signingKey: string, now = Date.now()): string {
  const t = Math.floor(now / 1000);
  const s = createHmac("sha256", hmacKey(signingKey))
    .update(body + t)
    .digest("hex");
  return `t=${t}&s=${s}`;
}

/** Verifies a signature header over a raw body; tolerates 5 minutes of clock skew like the SDK (wall clock, as in `sign`). */
export function verify(body: string, header: string | undefined, keys: string[], now = Date.now()): boolean {
  if (!header) return false;
  const params = new URLSearchParams(header);
  const t = Number(params.get("t"));
  const s = params.get("s") ?? "";
  if (!Number.isFinite(t) || Math.abs(now / 1000 - t) > 300) return false;
  for (const key of keys) {
    const expected = createHmac("sha256", hmacKey(key))
      .update(body + t)
      .digest("hex");
    if (expected.length === s.length && timingSafeEqual(Buffer.from(expected), Buffer.from(s))) return true;
  }
  return false;
}

/** The SDK's `authorization: Bearer <hashed key>`: "signkey-<env>-" + sha256(hex-decoded rest). */
export function hashSigningKey(signingKey: string): string {
  const m = /^(signkey-\w+-)(.*)$/.exec(signingKey);
  const prefix = m?.[1] ?? "";
  const rest = m?.[2] ?? signingKey;
  return prefix + createHash("sha256").update(Buffer.from(rest, "hex")).digest("hex");
}

/** `Authorization: Bearer …` values that carry this engine's signing key (raw or hashed, current or fallback). */
export function acceptedBearers(opts: Pick<ResolvedOptions, "signingKey" | "signingKeyFallback">, hashedOnly = false): string[] {
  const keys = [opts.signingKey, opts.signingKeyFallback].filter((k): k is string => Boolean(k));
  return keys.flatMap((k) => (hashedOnly ? [hashSigningKey(k)] : [k, hashSigningKey(k)])).map((k) => `Bearer ${k}`);
}
