/**
 * The app's Inngest functions served outside Next.js, for the embedded engine under `npm start`: the same client,
 * functions and middleware as app/api/inngest (which stays the endpoint for Inngest Cloud, the Dev Server and
 * self-hosted Inngest), through the SDK's own Node adapter (`inngest/node`) on a plain HTTP server. A step request
 * then costs the SDK's work and no more: no Next.js routing, request wrapping or response streaming around it.
 *
 * Started by the launcher with `--conditions=react-server` (server modules refuse to load without it), it prints
 * `READY <url>` once listening on 127.0.0.1 (FUNCTIONS_PORT, or any free port).
 */
import { createServer } from "node:http";
import { serve } from "inngest/node";
import { refuseReplayedSignaturesNode } from "@/server/http/signature-replay";
import { startTracing } from "@/server/tracing";

// As in instrumentation.ts: the tracer provider must exist before the Inngest client (its traces middleware) is made.
await startTracing();
const { inngest } = await import("@/inngest/client");
const { functions } = await import("@/inngest/index");
const handler = refuseReplayedSignaturesNode(serve({ client: inngest, functions }));
const server = createServer((req, res) => {
  if (!req.url?.startsWith("/api/inngest")) {
    res.writeHead(404, { "content-type": "application/json" }).end('{"message":"the functions are served at /api/inngest"}');
    return;
  }
  handler(req, res).catch((err: unknown) => {
    // The SDK answers its own errors; this is for one it did not catch, which must not take the worker down.
    console.error("functions worker: a request failed", err);
    if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: "the functions worker failed to answer" }));
  });
});
// The engine's pool keeps connections open between steps; a shorter idle timeout than its own would race it.
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.FUNCTIONS_PORT ?? 0), "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`READY http://127.0.0.1:${port}/api/inngest\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
