/**
 * The minimal SDK app the engine benchmark drives: no-op functions with 1 and 5 steps and a long sleeper.
 * It records when each run's first request arrives and when each step starts and ends, and serves the samples
 * at GET /stats (and clears them with DELETE /stats).
 */
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { type ClientOptions, Inngest, type Logger } from "inngest";
import { serve } from "inngest/node";

const silent: Logger = { info() {}, warn() {}, error() {}, debug() {} };

// Milliseconds since the epoch with sub-millisecond precision; the benchmarks stamp `sentAt` with the same clock.
const now = () => performance.timeOrigin + performance.now();

/** What the app measured since the last report. */
export interface BenchSamples {
  firstRequest: number[];
  transitions: number[];
  completed: number;
}

/**
 * Starts the app (the client options let a caller serve it the way the Next.js app does) and prints READY <url>.
 * With `report`, the samples are handed over every 20 ms instead (one of several processes reporting to another).
 */
export function startBenchApp(clientOptions: Partial<ClientOptions> = {}, report?: (samples: BenchSamples) => void): void {
  const engineUrl = process.env.BENCH_ENGINE_URL as string;
  const port = Number(process.env.BENCH_APP_PORT ?? 0);
  const inngest = new Inngest({ id: "bench", isDev: true, baseUrl: engineUrl, logger: silent, ...clientOptions });
  let firstRequest: number[] = [];
  let transitions: number[] = [];
  let completed = 0;
  const seenRuns = new Set<string>();
  const lastStepEnd = new Map<string, number>();

  function onRequest(runId: string, sentAt: number): void {
    if (!seenRuns.has(runId)) {
      seenRuns.add(runId);
      firstRequest.push(now() - sentAt);
    }
  }

  function stepStart(runId: string): void {
    const prev = lastStepEnd.get(runId);
    if (prev !== undefined) transitions.push(now() - prev);
  }

  const oneStep = inngest.createFunction(
    { id: "one-step", retries: 0, triggers: [{ event: "bench/one" }] },
    async ({ event, runId, step }) => {
      onRequest(runId, event.data.sentAt);
      await step.run("s1", () => 1);
      completed++;
      return null;
    },
  );

  const fiveSteps = inngest.createFunction(
    { id: "five-steps", retries: 0, triggers: [{ event: "bench/five" }] },
    async ({ event, runId, step }) => {
      onRequest(runId, event.data.sentAt);
      for (let i = 1; i <= 5; i++) {
        await step.run(`s${i}`, () => {
          stepStart(runId);
          lastStepEnd.set(runId, now());
          return i;
        });
      }
      lastStepEnd.delete(runId);
      completed++;
      return null;
    },
  );

  const sleeper = inngest.createFunction({ id: "sleeper", retries: 0, triggers: [{ event: "bench/sleep" }] }, async ({ step }) => {
    await step.sleep("long", "1h");
  });

  const handler = serve({ client: inngest, functions: [oneStep, fiveSteps, sleeper] });
  const server = createServer((req, res) => {
    if (req.url === "/stats") {
      if (req.method === "DELETE") {
        firstRequest = [];
        transitions = [];
        completed = 0;
        seenRuns.clear();
        lastStepEnd.clear();
        res.end("{}");
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ firstRequest, transitions, completed, rss: process.memoryUsage().rss }));
      return;
    }
    void handler(req, res);
  });
  if (report) {
    setInterval(() => {
      if (!completed && !firstRequest.length && !transitions.length) return;
      report({ firstRequest, transitions, completed });
      firstRequest = [];
      transitions = [];
      completed = 0;
    }, 20).unref();
  }
  server.keepAliveTimeout = 60_000;
  server.listen(port, "127.0.0.1", () => {
    const address = server.address() as { port: number };
    process.stdout.write(`READY http://127.0.0.1:${address.port}/api/inngest\n`);
  });
  process.on("SIGINT", () => process.exit(0));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) startBenchApp();
