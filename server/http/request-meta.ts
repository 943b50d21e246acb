import { randomUUID } from "node:crypto";
import type { RequestMeta } from "../identity";

const clip = (v: string | null, max: number) => (v ? v.slice(0, max) : null);

/**
 * Who sent a request, as far as the audit trail needs: the request id (the caller's `X-Request-Id` when it is a
 * plain token, else a new one), the client's address (the first `X-Forwarded-For` hop, as the proxy in front says;
 * `X-Real-IP` otherwise) and its user agent, each cut to a bounded length.
 */
export function requestMetaFrom(headers: Headers, door: RequestMeta["door"]): RequestMeta {
  const given = headers.get("x-request-id");
  const id = given && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim() || null;
  return {
    id,
    ip: clip(forwarded ?? headers.get("x-real-ip"), 64),
    userAgent: clip(headers.get("user-agent"), 300),
    door,
  };
}
