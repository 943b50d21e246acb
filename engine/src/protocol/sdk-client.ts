import { guardedAgent, type OutboundPolicy, outboundRefusal } from "@jobdeck/outbound-guard";
import { Agent, type Agent as AgentType, type Dispatcher, interceptors, request } from "undici";
import { canonicalJson, sign } from "./signing.js";

export interface SdkReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** `code` is the socket or undici error code of a request that got no answer (ECONNREFUSED, UND_ERR_SOCKET…). */
export type SdkResult = { ok: true; reply: SdkReply } | { ok: false; error: string; code?: string };

export type FetchResult =
  | { ok: true; status: number; headers: Record<string, string>; body: string }
  /** `refused`: the destination is not allowed (loopback, private…); retrying cannot help. */
  | { ok: false; error: string; refused?: boolean };

/** Inngest's consts.MaxSDKResponseBodySize (4 MB of step output + 4 MB of input); larger is `output_too_large`. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
/** As Go's http.Client, which Inngest's gateway uses: follow up to 10 redirects, each hop checked again. */
const MAX_REDIRECTS = 10;
/** As Inngest's executor HTTP client (pkg/execution/exechttp/exechttp.go): up to 60 redirects from an app. */
const MAX_APP_REDIRECTS = 60;

/**
 * Where a 307/308 from an app's serve endpoint sends the request next: the Location resolved against the current
 * URL, with the first request's query parameters (fnId, stepId) set on it, as Inngest's CheckRedirect does. The
 * method, body, headers and signature stay the same (307/308 keep them). Null for a non-http(s) Location.
 */
export function appRedirectTarget(current: string, location: string, original: string): string | null {
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    return null;
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") return null;
  for (const [key, value] of new URL(original).searchParams) next.searchParams.set(key, value);
  return next.toString();
}

/**
 * HTTP to the app's serve endpoint (keep-alive connections, optional JCS+HMAC signing, bounded body size), and
 * step.fetch on the user's behalf through a separate agent that only reaches public addresses (or allowed ones).
 */
export class SdkClient {
  private readonly agent: AgentType;
  private readonly outbound: Dispatcher;
  private readonly outboundAgent: AgentType;

  constructor(
    private readonly opts: {
      signingKey?: string;
      serverKind: "dev" | "cloud";
      requestTimeoutMs: number;
      connections: number;
      outbound: OutboundPolicy;
    },
  ) {
    this.agent = new Agent({
      connections: opts.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: opts.requestTimeoutMs,
      bodyTimeout: opts.requestTimeoutMs,
    });
    this.outboundAgent = guardedAgent(opts.outbound, { headersTimeout: opts.requestTimeoutMs, bodyTimeout: opts.requestTimeoutMs });
    this.outbound = this.outboundAgent.compose(interceptors.redirect({ maxRedirections: MAX_REDIRECTS }));
  }

  async call(url: string, payload: unknown, headers: Record<string, string>, method: "POST" | "PUT" = "POST"): Promise<SdkResult> {
    const body = this.opts.signingKey ? canonicalJson(payload) : JSON.stringify(payload);
    const h: Record<string, string> = {
      "content-type": "application/json",
      "x-inngest-server-kind": this.opts.serverKind,
      ...headers,
    };
    if (this.opts.signingKey) h["x-inngest-signature"] = sign(body, this.opts.signingKey);
    else h["x-inngest-signature"] = "";
    try {
      let target = url;
      let res = await request(target, { method, body, headers: h, dispatcher: this.agent });
      for (let hop = 1; (res.statusCode === 307 || res.statusCode === 308) && res.headers.location; hop++) {
        await res.body.dump();
        if (hop > MAX_APP_REDIRECTS) return { ok: false, error: `stopped after ${MAX_APP_REDIRECTS} redirects` };
        const next = appRedirectTarget(target, String(res.headers.location), url);
        if (!next)
          return { ok: false, error: `the app redirected to ${String(res.headers.location).slice(0, 200)}, which is no http(s) URL` };
        target = next;
        res = await request(target, { method, body, headers: h, dispatcher: this.agent });
      }
      let size = 0;
      const chunks: Buffer[] = [];
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_RESPONSE_BYTES) {
          res.body.destroy();
          return { ok: false, error: `response larger than ${MAX_RESPONSE_BYTES} bytes`, code: "output_too_large" };
        }
        chunks.push(chunk as Buffer);
      }
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
      return { ok: true, reply: { status: res.statusCode, headers: out, body: Buffer.concat(chunks).toString("utf8") } };
    } catch (err) {
      const e = err as Error & { code?: string; cause?: { code?: string } };
      const code = e.code ?? e.cause?.code;
      return { ok: false, error: `${code ? `${code}: ` : ""}${e.message}`, code };
    }
  }

  /**
   * Whether an app's serve endpoint answers at all: true for any answer from the SDK or below 500, else the reason.
   * (A GET is the SDK's introspection: cheap, and it runs no function.) Signed, like every request to the app: an SDK
   * in cloud mode logs an unsigned one as a signature failure.
   */
  async probe(url: string): Promise<true | string> {
    try {
      const headers = this.opts.signingKey ? { "x-inngest-signature": sign("", this.opts.signingKey) } : undefined;
      const res = await request(url, { method: "GET", headers, dispatcher: this.agent, headersTimeout: 5000, bodyTimeout: 5000 });
      await res.body.dump();
      if (res.statusCode < 500 || res.headers["x-inngest-sdk"] !== undefined) return true;
      return `HTTP ${res.statusCode}`;
    } catch (err) {
      const e = err as Error & { code?: string };
      return `${e.code ? `${e.code}: ` : ""}${e.message}`;
    }
  }

  /** A plain HTTP call for step.fetch (Gateway ops): no signing, any method, public destinations only. */
  async fetch(url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<FetchResult> {
    try {
      const res = await request(url, {
        method: init.method as "GET",
        headers: init.headers,
        body: init.body,
        dispatcher: this.outbound,
      });
      const text = await res.body.text();
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
      return { ok: true, status: res.statusCode, headers: out, body: text };
    } catch (err) {
      const refusal = outboundRefusal(err);
      if (refusal) return { ok: false, error: refusal.message, refused: true };
      return { ok: false, error: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.agent.close(), this.outboundAgent.close()]);
  }
}
