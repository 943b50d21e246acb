import { AppError } from "../errors";
import { MAX_BODY_BYTES } from "./request-safety";

/**
 * A request body as text, read no further than `max` bytes. `Content-Length` is checked before any route runs
 * (request-safety.ts), but a chunked body announces no length: its bytes are counted as they arrive and the read
 * stops at the limit (413), instead of buffering whatever the sender streams up to the framework's own cap.
 *
 * Next.js hands routes under proxy.ts a copy of the body that it silently cuts at `proxyClientMaxBodySize` (10 MB).
 * That cap is left where it is: lowered to our limit, a too-long body would arrive cut to a length under the limit
 * (Next drops the chunk that crosses it), look complete and, padded with whitespace, even parse.
 */
export async function readBoundedText(req: Request, max = MAX_BODY_BYTES): Promise<string> {
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw new AppError("PAYLOAD_TOO_LARGE", `request bodies may be at most ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The same request with its body read (bounded) into memory, for handlers that read the body themselves (tRPC's
 * fetch adapter). Hop-by-hop framing headers go: the new body has a known length.
 */
export async function withBoundedBody(req: Request, max = MAX_BODY_BYTES): Promise<Request> {
  if (req.method === "GET" || req.method === "HEAD") return req;
  const body = await readBoundedText(req, max);
  const headers = new Headers(req.headers);
  headers.delete("content-length");
  headers.delete("transfer-encoding");
  return new Request(req.url, { method: req.method, headers, body, signal: req.signal });
}
