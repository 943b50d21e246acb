import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Inngest signs each request to /api/inngest (`X-Inngest-Signature: t=<unix s>&s=<HMAC of body + t>`) and the SDK
 * accepts a signature for 5 minutes, so a request captured on the wire could be sent again within that window and
 * run its step again. Nothing legitimate repeats one: every request Inngest (or the engine) sends is signed anew.
 * So each signature is remembered until it expires, and a second request carrying it is refused.
 *
 * A signature is reserved before the SDK sees the request (so two copies racing in are one run) and forgotten again
 * when the SDK refuses it (401): only accepted signatures are kept, and nobody can fill the memory with forgeries.
 */

/** How long the SDK accepts a signature after its time (its clock-skew window), plus a margin for our own clock. */
const WINDOW_MS = 5 * 60_000 + 60_000;
/** Memory bound: at 1,000 requests a second for the whole window, the oldest are let go first. */
const MAX_REMEMBERED = 400_000;

export class SeenSignatures {
  /** signature → when it stops mattering (insertion order is time order: the oldest go first). */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly max = MAX_REMEMBERED,
  ) {}

  /** Takes the signature; false when it was already taken and has not expired. */
  take(signature: string): boolean {
    const now = this.now();
    this.expire(now);
    const until = this.seen.get(signature);
    if (until !== undefined && until > now) return false;
    const t = Number(new URLSearchParams(signature).get("t"));
    // A signature with no usable time is the SDK's to refuse; keep it the full window from now.
    const expires = (Number.isFinite(t) && t > 0 ? t * 1000 : now) + WINDOW_MS;
    this.seen.set(signature, Math.max(expires, now + 1));
    if (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value as string);
    return true;
  }

  /** Gives a signature back (the SDK refused it: it was never valid). */
  release(signature: string): void {
    this.seen.delete(signature);
  }

  private expire(now: number): void {
    for (const [sig, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(sig);
    }
  }
}

const seen = new SeenSignatures();

/**
 * Wraps the SDK's POST handler (which runs steps): a repeated signature gets a 401 and never reaches the SDK.
 * Unsigned requests pass through: the SDK itself refuses them in production and accepts them in development.
 */
export function refuseReplayedSignatures<R extends Request, A extends unknown[]>(
  handler: (req: R, ...rest: A) => Promise<Response>,
): (req: R, ...rest: A) => Promise<Response> {
  return async (req, ...rest) => {
    const signature = req.headers.get("x-inngest-signature");
    if (!signature) return handler(req, ...rest);
    if (!seen.take(signature)) {
      return Response.json({ message: "this request's signature was already used: a signed request is accepted once" }, { status: 401 });
    }
    const res = await handler(req, ...rest);
    if (res.status === 401) seen.release(signature);
    return res;
  };
}

/** The same guard for a Node `(req, res)` handler (the SDK's `inngest/node` adapter, scripts/launcher/functions-worker.ts). */
export function refuseReplayedSignaturesNode(
  handler: (req: IncomingMessage, res: ServerResponse) => unknown,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const header = req.headers["x-inngest-signature"];
    const signature = Array.isArray(header) ? header[0] : header;
    if (signature && req.method === "POST") {
      if (!seen.take(signature)) {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: "this request's signature was already used: a signed request is accepted once" }));
        return;
      }
      res.once("finish", () => {
        if (res.statusCode === 401) seen.release(signature);
      });
    }
    await handler(req, res);
  };
}
