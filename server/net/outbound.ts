import { guardedAgent, type OutboundPolicy, outboundPolicy, refusedUrl } from "@jobdeck/outbound-guard";
import { type Dispatcher, fetch as undiciFetch } from "undici";
import { z } from "zod";
import { env } from "@/env";

/**
 * HTTP the app makes on a user's behalf (webhook deliveries, alert posts): only public addresses, or the hosts
 * OUTBOUND_ALLOW names, checked when each connection is opened (packages/outbound-guard). Redirects are not
 * followed: a webhook's 3xx is its answer.
 */
let policy: OutboundPolicy | undefined;
let agent: Dispatcher | undefined;

function currentPolicy(): OutboundPolicy {
  policy ??= outboundPolicy(env().OUTBOUND_ALLOW, "OUTBOUND_ALLOW");
  return policy;
}

export function outboundFetch(url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) {
  agent ??= guardedAgent(currentPolicy(), { keepAliveTimeout: 10_000 });
  return undiciFetch(url, { ...init, redirect: "manual", dispatcher: agent });
}

/**
 * An http(s) URL a job may call. Refuses at once what is refused whatever DNS says (a literal loopback, private or
 * metadata address, or a localhost name); names that resolve to such addresses are refused when the job connects.
 */
export const outboundUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // zod's check is looser than the WHATWG parser every HTTP client uses (an IPv6 zone id passes it).
    const zone = /\[[^\]]*%/.test(value);
    ctx.addIssue({
      code: "custom",
      message: zone ? "not a usable URL: an IPv6 address with a zone id (%25…) cannot be called" : "not a usable URL",
    });
    return;
  }
  const reason = refusedUrl(currentPolicy(), url);
  if (reason) ctx.addIssue({ code: "custom", message: reason });
});
