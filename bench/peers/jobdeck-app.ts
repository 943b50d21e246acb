/**
 * The SDK app of bench:peers' Jobdeck: engine/bench/sdk-app.ts served the way the Next.js app serves its functions
 * (inngest/client.ts): the process environment snapshotted and the SDK's own calls on a keep-alive pool
 * (inngest/sdk-transport.ts). `--vanilla` serves it with the SDK's defaults instead, to measure the difference.
 */
import { startBenchApp } from "../../engine/bench/sdk-app.js";
import { keepAliveFetch, snapshotProcessEnv } from "../../inngest/sdk-transport.js";

if (process.argv.includes("--vanilla")) startBenchApp();
else {
  snapshotProcessEnv();
  startBenchApp({ fetch: keepAliveFetch });
}
