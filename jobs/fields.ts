import { z } from "zod";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Inngest's longest sleep or wait: a year. */
const MAX_DURATION_MS = 366 * 86_400_000;

/** A Go-style duration Inngest accepts for sleeps and timeouts (30s, 15m, 24h, 7d, 1h30m), of at most a year. */
export const duration = z
  .string()
  .max(40)
  .regex(/^(\d+[smhdw])+$/, "must be a duration like 30s, 15m, 24h or 7d")
  .refine(
    (v) => [...v.matchAll(/(\d+)([smhdw])/g)].reduce((ms, m) => ms + Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0), 0) <= MAX_DURATION_MS,
    "must be at most a year (366d)",
  );

/** Any JSON object. */
export const jsonObject = z.record(z.string(), z.unknown());

/**
 * An http(s) URL a job will call. The contract checks its form; which destinations are allowed is the
 * installation's policy (OUTBOUND_ALLOW), which the job service applies to every field a contract lists in
 * `outboundUrls` (server/net/outbound.ts), and the connection itself checks again when it is opened.
 */
export const httpUrl = z
  .string()
  .max(2_048, "must be at most 2048 characters")
  .superRefine((value, ctx) => {
    // A zone id (fe80::1%25lo) is not a URL any HTTP client can call: say so rather than "not a URL".
    if (/\[[^\]]*%/.test(value))
      ctx.addIssue({ code: "custom", message: "not a usable URL: an IPv6 address with a zone id (%25…) cannot be called" });
    else if (!URL_FORM.safeParse(value).success) ctx.addIssue({ code: "custom", message: "must be an http(s) URL" });
  });
const URL_FORM = z.url({ protocol: /^https?$/ });

/**
 * Marks a payload field sensitive (an address, a credential in a header): a viewer (read-only role) sees it masked
 * in job lists and pages, events and replay forms. Also in the job type's JSON Schema (`"sensitive": true`).
 */
export const sensitive = <T extends z.ZodType>(schema: T): T => schema.meta({ sensitive: true }) as T;

/** Whether a field's schema, or the schema an optional/default/nullable wrapper holds, is marked sensitive. */
function isSensitive(schema: z.ZodType | undefined): boolean {
  for (let s = schema, depth = 0; s && depth < 5; depth++) {
    if ((s.meta() as { sensitive?: unknown } | undefined)?.sensitive === true) return true;
    s = (s as unknown as { _zod?: { def?: { innerType?: z.ZodType } } })._zod?.def?.innerType;
  }
  return false;
}

/** The top-level payload fields a contract marks sensitive. */
export function sensitiveKeys(payload: z.ZodObject): string[] {
  return Object.entries(payload.shape)
    .filter(([, field]) => isSensitive(field as z.ZodType))
    .map(([key]) => key);
}
