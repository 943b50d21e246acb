/**
 * The SDK app of bench:peers' Jobdeck: engine/bench/sdk-app.ts served the way the Next.js app serves its functions
 * (inngest/client.ts): the process environment snapshotted, the SDK's own calls on a keep-alive pool
 * (server/events/sdk-transport.ts), finished steps reported in batches (STEP_CHECKPOINT_BUFFER / _INTERVAL_MS). `--vanilla` serves it with the SDK's defaults instead, to measure the difference.
 *
 * The SDK's request handling is single-threaded CPU work (engine/ARCHITECTURE.md, "Where a run's time goes"), so
 * with BENCH_APP_WORKERS=N it runs as N processes sharing one port (node:cluster), as an app deployment runs several
 * instances; this process then collects their samples and serves them at the STATS address it prints. The default
 * is one process per two cores beyond the two the engine and PostgreSQL share: on a 2-core machine a second app
 * process made it slower (269 vs 323 one-step runs/s, 5.9 vs 4.0 CPU s per 1,000: the processes only contend).
 */
import cluster from "node:cluster";
import { createServer } from "node:http";
import { availableParallelism } from "node:os";
import { type BenchSamples, startBenchApp } from "../../engine/bench/sdk-app.js";
import { checkpointSettings } from "../../env.js";
import { checkpointingOption, keepAliveFetch, snapshotProcessEnv } from "../../server/events/sdk-transport.js";

const vanilla = process.argv.includes("--vanilla");
const workers = Number(process.env.BENCH_APP_WORKERS ?? Math.max(1, Math.floor((availableParallelism() - 2) / 2)));

function serveOne(report?: (samples: BenchSamples) => void): void {
  if (vanilla) {
    startBenchApp({}, report);
    return;
  }
  snapshotProcessEnv();
  startBenchApp({ fetch: keepAliveFetch, checkpointing: checkpointingOption(checkpointSettings()) }, report);
}

if (workers <= 1) serveOne();
else if (cluster.isWorker) serveOne((samples) => process.send?.(samples));
else {
  let merged: BenchSamples = { firstRequest: [], transitions: [], completed: 0 };
  const stats = createServer((req, res) => {
    if (req.method === "DELETE") merged = { firstRequest: [], transitions: [], completed: 0 };
    res.setHeader("content-type", "application/json");
    res.end(req.method === "DELETE" ? "{}" : JSON.stringify(merged));
  });
  await new Promise<void>((resolve) => stats.listen(0, "127.0.0.1", resolve));
  const statsPort = (stats.address() as { port: number }).port;
  let listening = 0;
  // The workers print their own READY line; this one adds where the merged samples are.
  cluster.setupPrimary({ silent: true });
  for (let i = 0; i < workers; i++) {
    const worker = cluster.fork();
    worker.on("message", (s: BenchSamples) => {
      merged.firstRequest.push(...s.firstRequest);
      merged.transitions.push(...s.transitions);
      merged.completed += s.completed;
    });
    worker.process.stdout?.on("data", (d) => {
      const m = /READY (\S+)/.exec(String(d));
      if (m && ++listening === workers) process.stdout.write(`READY ${m[1]} STATS http://127.0.0.1:${statsPort}/stats\n`);
    });
  }
  process.on("SIGINT", () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGINT");
    setTimeout(() => process.exit(0), 500);
  });
}
