/**
 * A minimal responder that speaks the SDK's wire protocol for a 1-step function, used only to measure the
 * engine's own ceiling without the SDK's per-request cost: the first request answers 206 with the step's
 * result, the second (which carries the memo) answers 200. It is not a stand-in for the SDK in any test.
 */
import { createHash } from "node:crypto";
import { createServer } from "node:http";

const STEP = createHash("sha1").update("s1").digest("hex");
let completed = 0;
const server = createServer((req, res) => {
  if (req.url === "/stats") {
    if (req.method === "DELETE") completed = 0;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ completed, firstRequest: [], transitions: [] }));
    return;
  }
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const payload = JSON.parse(body) as { steps: Record<string, unknown> };
    res.setHeader("content-type", "application/json");
    res.setHeader("x-inngest-sdk", "raw-responder:v0");
    res.setHeader("x-inngest-req-version", "2");
    if (payload.steps[STEP] === undefined) {
      res.statusCode = 206;
      res.end(JSON.stringify([{ id: STEP, op: "StepRun", name: "s1", displayName: "s1", data: 1 }]));
      return;
    }
    completed++;
    res.statusCode = 200;
    res.end("null");
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.BENCH_APP_PORT ?? 0), "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`READY http://127.0.0.1:${port}/api/inngest\n`);
});
process.on("SIGINT", () => process.exit(0));
