import type { FastifyReply, FastifyRequest } from "fastify";
import type { ResolvedOptions } from "../options.js";
import { hashSigningKey } from "../protocol/signing.js";

/**
 * Who may drive the engine. The engine does not trust its network position: a page in the user's browser and any
 * local process can reach 127.0.0.1, so
 *  - browsers are refused everywhere: a request carrying `Origin` or a cross-site `Sec-Fetch-Site` is not from an
 *    SDK or a server, and a `Host` that is not this machine's name (DNS rebinding) is refused while bound to loopback;
 *  - with `requireKeys`, the management API wants `Authorization: Bearer <signing key>` (the key itself or its SDK
 *    hash, as Inngest's REST API takes it), the event API an event key in its path (checked by its route), and sync
 *    and checkpoints the hashed signing key (checked whenever a signing key is set).
 */

const PUBLIC_PATHS = new Set(["/", "/health"]);
const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

/** `Authorization: Bearer …` values that carry this engine's signing key (raw or hashed, current or fallback). */
export function acceptedBearers(opts: Pick<ResolvedOptions, "signingKey" | "signingKeyFallback">, hashedOnly = false): string[] {
  const keys = [opts.signingKey, opts.signingKeyFallback].filter((k): k is string => Boolean(k));
  return keys.flatMap((k) => (hashedOnly ? [hashSigningKey(k)] : [k, hashSigningKey(k)])).map((k) => `Bearer ${k}`);
}

function refuse(reply: FastifyReply, status: number, error: string) {
  return reply.code(status).send({ error, status });
}

/** The onRequest hook that applies the rules above; routes with their own key checks (/e, sync, checkpoint) pass. */
export function accessGuard(opts: ResolvedOptions) {
  const loopbackBound = LOOPBACK_HOSTS.test(opts.host);
  const bearers = new Set(acceptedBearers(opts));
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const origin = req.headers.origin;
    const site = req.headers["sec-fetch-site"];
    if ((origin !== undefined && !opts.allowedOrigins.includes(String(origin))) || (site !== undefined && site !== "none")) {
      return refuse(reply, 403, "cross-origin requests are refused: the engine API is for SDKs and servers, not browser pages");
    }
    const host = String(req.headers.host ?? "").replace(/:\d+$/, "");
    if (loopbackBound && host !== "" && !LOOPBACK_HOSTS.test(host)) {
      return refuse(reply, 403, `host "${host}" is not this engine's address (it listens on loopback only)`);
    }
    if (!opts.requireKeys) return;
    const path = pathOf(req.url);
    if (PUBLIC_PATHS.has(path) || path.startsWith("/e/") || path === "/fn/register" || path.startsWith("/v1/checkpoint/")) return;
    if (!bearers.has(String(req.headers.authorization ?? ""))) {
      return refuse(reply, 401, "unauthorized: the management API needs Authorization: Bearer <this engine's signing key>");
    }
  };
}
