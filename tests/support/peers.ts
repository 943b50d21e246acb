import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

/**
 * A real SMTP server for the email tests. `mode` decides what happens to each message: accept it, refuse it with
 * a temporary error (451), or hold the reply forever after receiving it (to crash the sender mid-send).
 */
export async function startSmtpPeer() {
  const received: ReceivedMail[] = [];
  const state = { mode: "accept" as "accept" | "refuse" | "hold" };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if (state.mode === "refuse") {
          const err = Object.assign(new Error("mailbox temporarily unavailable"), { responseCode: 451 });
          return callback(err);
        }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        if (state.mode === "accept") callback();
        // "hold": never answer; the sender waits until it dies or times out.
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface HttpRequestRecord {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  at: number;
}

/** A real HTTP server whose answer to each request is decided by `respond` (it may also destroy the socket). */
type Respond = (req: HttpRequestRecord, res: ServerResponse, n: number) => unknown;

/**
 * Every HTTP peer of a test process lives behind one port, each under a path prefix of its own
 * (`http://127.0.0.1:<port>/peer-3`), so that the outbound allow-list can let exactly that port through while the
 * engine and everything else on loopback stay refused. Started when this module loads, before the app reads its
 * environment, and added to OUTBOUND_ALLOW.
 */
const mounts = new Map<string, (req: IncomingMessage, res: ServerResponse, path: string) => void>();
const gateway = createServer((req, res) => {
  const m = /^\/(peer-\d+)(\/.*|$)/.exec(req.url ?? "");
  const handler = m ? mounts.get(m[1] as string) : undefined;
  if (!handler) {
    res.writeHead(404).end("no such peer");
    return;
  }
  handler(req, res, (m?.[2] as string) || "/");
});
await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", () => resolve()));
gateway.unref();
export const PEER_HOST = `127.0.0.1:${(gateway.address() as AddressInfo).port}`;
process.env.OUTBOUND_ALLOW = [process.env.OUTBOUND_ALLOW, PEER_HOST].filter(Boolean).join(",");
let mounted = 0;

export async function startHttpPeer(respond: Respond) {
  const requests: HttpRequestRecord[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const name = `peer-${++mounted}`;
  const open = new Set<ServerResponse>();
  mounts.set(name, (req, res, path) => {
    open.add(res);
    res.on("close", () => open.delete(res));
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const record = {
        method: req.method ?? "",
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      requests.push(record);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await respond(record, res, requests.length);
      } finally {
        inFlight--;
      }
    });
  });
  return {
    url: `http://${PEER_HOST}/${name}`,
    requests,
    maxInFlight: () => maxInFlight,
    close: async () => {
      mounts.delete(name);
      for (const res of open) res.destroy();
    },
  };
}

export type HttpPeer = Awaited<ReturnType<typeof startHttpPeer>>;
