import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { env } from "@/env";
import { db } from "../../db";
import { AppError } from "../../errors";
import { requireRole, type Scope } from "../../identity";
import { audited, recordAudit } from "../audit/record-audit";

/**
 * Each organization's webhook signing secret (Standard Webhooks: `whsec_` and 24 random bytes, base64), made on its
 * first delivery or when an admin first looks. Only that organization's receivers hold it, so one organization can
 * produce nothing another's receiver accepts. Stored encrypted (AES-256-GCM) under a key derived from the
 * installation's WEBHOOK_SIGNING_SECRET, which was the single signing secret before per-organization secrets: an
 * existing installation keeps its variable, and it now only protects the organizations' secrets at rest.
 */
const DEV_MASTER = "jobdeck-development-webhook-secret";
/** How long a rotated-out secret still signs (both signatures are sent), so receivers can switch without a gap. */
export const DEFAULT_OVERLAP_HOURS = 24;
export const MAX_OVERLAP_HOURS = 24 * 30;

function masterKey(): Buffer {
  const e = env();
  const master = e.WEBHOOK_SIGNING_SECRET ?? (e.NODE_ENV === "production" ? undefined : DEV_MASTER);
  if (!master) throw new AppError("UNAVAILABLE", "WEBHOOK_SIGNING_SECRET is not set: webhook secrets cannot be kept in production");
  return createHash("sha256").update(`jobdeck-org-webhook-secrets:${master}`).digest();
}

/** `v1:<iv>:<tag>:<ciphertext>`, base64 parts. */
function seal(secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", masterKey(), iv);
  const data = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64"), cipher.getAuthTag().toString("base64"), data.toString("base64")].join(":");
}

function open(sealed: string): string {
  const [version, iv, tag, data] = sealed.split(":");
  if (version !== "v1" || !iv || !tag || !data) throw new Error("unreadable webhook secret");
  const decipher = createDecipheriv("aes-256-gcm", masterKey(), Buffer.from(iv, "base64"));
  decipher.setAuthTag(Buffer.from(tag, "base64"));
  return Buffer.concat([decipher.update(Buffer.from(data, "base64")), decipher.final()]).toString("utf8");
}

const newSecret = () => `whsec_${randomBytes(24).toString("base64")}`;

export interface OrgWebhookSecrets {
  /** Signs every delivery. */
  current: string;
  /** Still signs deliveries (a second signature) until `previousUntil`, after a rotation. */
  previous: string | null;
  previousUntil: string | null;
  createdAt: string;
  rotatedAt: string | null;
}

/** The organization's secrets, made (once, whoever asks first) if it has none yet. */
export async function orgWebhookSecrets(orgId: string): Promise<OrgWebhookSecrets> {
  let row = await db().orgWebhookSecret.findUnique({ where: { orgId } });
  if (!row) {
    await db().orgWebhookSecret.createMany({ data: [{ orgId, secret: seal(newSecret()) }], skipDuplicates: true });
    row = await db().orgWebhookSecret.findUniqueOrThrow({ where: { orgId } });
  }
  const live = row.previousSecret && row.previousUntil && row.previousUntil.getTime() > Date.now();
  return {
    current: open(row.secret),
    previous: live ? open(row.previousSecret as string) : null,
    previousUntil: live ? (row.previousUntil as Date).toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    rotatedAt: row.rotatedAt?.toISOString() ?? null,
  };
}

/** The secrets a delivery is signed with now: the current one, and the previous one while its overlap lasts. */
export async function signingSecrets(orgId: string): Promise<string[]> {
  const s = await orgWebhookSecrets(orgId);
  return s.previous ? [s.current, s.previous] : [s.current];
}

/**
 * A new secret for the organization; the old one keeps signing (as a second signature) for `overlapHours`, so
 * receivers can move to the new one without refusing a delivery. One statement: two rotations at once keep a pair.
 */
export async function rotateWebhookSecret(scope: Scope, overlapHours = DEFAULT_OVERLAP_HOURS): Promise<OrgWebhookSecrets> {
  requireRole(scope, "admin", "rotating the webhook signing secret");
  if (!Number.isInteger(overlapHours) || overlapHours < 0 || overlapHours > MAX_OVERLAP_HOURS) {
    throw new AppError("BAD_REQUEST", `overlapHours: a whole number of hours from 0 to ${MAX_OVERLAP_HOURS}`, {
      details: [{ path: "overlapHours", message: `a whole number of hours from 0 to ${MAX_OVERLAP_HOURS}` }],
    });
  }
  const orgId = scope.orgId;
  await orgWebhookSecrets(orgId);
  await audited(scope, async (tx) => {
    await tx.$executeRaw`
      UPDATE "OrgWebhookSecret" SET "previousSecret" = "secret", "secret" = ${seal(newSecret())},
        "previousUntil" = now() + ${`${overlapHours} hours`}::interval, "rotatedAt" = now()
      WHERE "orgId" = ${orgId}`;
    // Never the secrets themselves: only that one was rotated, and for how long the old one still signs.
    return {
      result: null,
      audit: { action: "webhookSecret.rotate", targetType: "organization", targetId: orgId, after: { overlapHours } },
    };
  });
  return orgWebhookSecrets(orgId);
}

/** `whsec_abcd…wxyz`: enough to tell secrets apart, not enough to sign with one. */
const mask = (secret: string) => `${secret.slice(0, 10)}…${secret.slice(-4)}`;

/** The organization's secrets masked, for its admins' settings page (nothing usable leaves: not audited). */
export async function webhookSecretInfo(scope: Scope): Promise<OrgWebhookSecrets> {
  requireRole(scope, "admin", "seeing the webhook signing secret");
  const s = await orgWebhookSecrets(scope.orgId);
  return { ...s, current: mask(s.current), previous: s.previous ? mask(s.previous) : null };
}

/** The organization's secrets in full for one of its admins, recorded in the audit trail (a secret seen is a secret shared). */
export async function revealWebhookSecrets(scope: Scope): Promise<OrgWebhookSecrets> {
  requireRole(scope, "admin", "seeing the webhook signing secret");
  const secrets = await orgWebhookSecrets(scope.orgId);
  await recordAudit(db(), scope, { action: "webhookSecret.reveal", targetType: "organization", targetId: scope.orgId });
  return secrets;
}
