import type { FastifyReply, FastifyRequest } from "fastify";
import type { ResolvedOptions } from "../options.js";
import { acceptedBearers } from "../protocol/signing.js";
import { TRACES_PATH } from "./traces-api.js";

/**
 * Who may drive the engine. The engine does not trust its network position: a page in the user's browser and any
 * local process can reach 127.0.0.1, so
 *  - browsers are refused everywhere: a request carrying `Origin` or a cross-site `Sec-Fetch-Site` is not from an
 *    SDK or a server, and a `Host` that is not this machine's name (DNS rebinding) is refused while bound to loopback;
 *    a page posting a body it needs no preflight for (text/plain, a form, none) is told so first, since `/e` reads
 *    such bodies as JSON;
 *  - with `requireKeys`, the management API wants `Authorization: Bearer <signing key>` (the key itself or its SDK
 *    hash, as Inngest's REST API takes it), the event API an event key in its path (checked by its route), and sync
 *    and checkpoints the hashed signing key (checked whenever a signing key is set), userland traces the signing key
 *    (raw or hashed, whenever one is set); /metrics checks its own token
 *    whether or not keys are required.
 */

const PUBLIC_PATHS = new Set(["/", "/health"]);
const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

function refuse(reply: FastifyReply, status: number, error: string) {
  return reply.code(status).send({ error, status });
}

/** A body whose media type is JSON (`application/json`, `application/*+json`): a page cannot send one without a preflight. */
function isJsonBody(contentType: string | undefined): boolean {
  const media = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return media === "application/json" || (media.startsWith("application/") && media.endsWith("+json"));
}

/**
 * Which header shows that a browser page sent this request from another site: `Sec-Fetch-Site` other than `none`
 * (a page's request; `none` is the user typing the URL), or an `Origin` not allowed. Rebinding and same-origin
 * pages count too: the engine serves no page of its own, so no page may drive it.
 */
function pageMark(req: FastifyRequest, opts: ResolvedOptions): string | undefined {
  const origin = req.headers.origin;
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "none") return `Sec-Fetch-Site: ${String(site)}`;
  if (origin !== undefined && !opts.allowedOrigins.includes(String(origin))) return `Origin: ${String(origin).slice(0, 200)}`;
  return undefined;
}

/**
 * CSRF: a text/plain, form or unlabelled body is what a page on any site can post without a preflight, and the event
 * API reads such bodies as JSON (as Inngest does, for curl and fetch). So a non-JSON body sent by a page is refused
 * on the page's own marks, before anything reads it. (JSON bodies need a preflight the engine never grants.)
 */
function pagePostsPlainBody(req: FastifyRequest, opts: ResolvedOptions): string | undefined {
  if (req.method === "GET" || req.method === "HEAD" || isJsonBody(req.headers["content-type"])) return undefined;
  const mark = pageMark(req, opts);
  if (!mark) return undefined;
  const type = req.headers["content-type"] ? `a ${req.headers["content-type"].slice(0, 100)}` : "an unlabelled";
  return `refused: a browser page (${mark}) may not post ${type} body to the engine; events come from SDKs and servers, which send no Origin`;
}

/** The onRequest hook that applies the rules above; routes with their own key checks (/e, sync, checkpoint) pass. */
export function accessGuard(opts: ResolvedOptions) {
  const loopbackBound = LOOPBACK_HOSTS.test(opts.host);
  const bearers = new Set(acceptedBearers(opts));
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const csrf = pagePostsPlainBody(req, opts);
    if (csrf) return refuse(reply, 403, csrf);
    if (pageMark(req, opts)) {
      return refuse(reply, 403, "cross-origin requests are refused: the engine API is for SDKs and servers, not browser pages");
    }
    const host = String(req.headers.host ?? "").replace(/:\d+$/, "");
    if (loopbackBound && host !== "" && !LOOPBACK_HOSTS.test(host)) {
      return refuse(reply, 403, `host "${host}" is not this engine's address (it listens on loopback only)`);
    }
    if (!opts.requireKeys) return;
    const path = pathOf(req.url);
    if (PUBLIC_PATHS.has(path) || path.startsWith("/e/") || path === "/fn/register" || path.startsWith("/v1/checkpoint/")) return;
    if (path === TRACES_PATH) return; // the SDK's hashed signing key, checked by its route (api/traces-api.ts)
    if (path === "/metrics") return; // its own token (api/metrics-api.ts)
    if (!bearers.has(String(req.headers.authorization ?? ""))) {
      return refuse(reply, 401, "unauthorized: the management API needs Authorization: Bearer <this engine's signing key>");
    }
  };
}
