import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";

/**
 * A local stand-in for a Clerk instance's signing keys: Clerk's real middleware verifies the tokens minted here
 * with the public key passed as `jwtKey` (CLERK_JWT_KEY), with no network. The publishable key names a Frontend
 * API host that is never contacted.
 */
export interface ClerkTestKeys {
  env: Record<string, string>;
  privateKey: KeyObject;
}

const FAPI = "example-test.clerk.accounts.dev";

export function clerkTestKeys(): ClerkTestKeys {
  // Clerk's PEM loader expects RSA-2048 with e=65537.
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 0x10001 });
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
  return {
    privateKey,
    env: {
      NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: `pk_test_${Buffer.from(`${FAPI}$`).toString("base64")}`,
      CLERK_SECRET_KEY: `sk_test_${"0".repeat(40)}`,
      CLERK_JWT_KEY: pem.replace(/\n/g, ""),
      CLERK_TELEMETRY_DISABLED: "1",
      NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED: "1",
    },
  };
}

/** A Clerk v2 session token: `sub` the user, `o` the active organization (omitted for a personal account). */
export async function mintSessionToken(
  key: KeyObject,
  opts: { userId: string; orgId?: string | null; orgRole?: string; ttlSec?: number; issuedAgoSec?: number },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000) - (opts.issuedAgoSec ?? 5);
  const claims: Record<string, unknown> = { sid: `sess_${opts.userId}`, sts: "active", v: 2 };
  if (opts.orgId) claims.o = { id: opts.orgId, rol: opts.orgRole ?? "admin", slg: opts.orgId };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: "ins_test" })
    .setSubject(opts.userId)
    .setIssuer(`https://${FAPI}`)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + (opts.ttlSec ?? 300))
    .sign(key);
}
