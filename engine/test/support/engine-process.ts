/**
 * Runs an engine in its own process for crash tests: options come as JSON in ENGINE_TEST_OPTIONS; prints
 * "READY <url>" once it is active. The test kills it with SIGKILL.
 */
import pino from "pino";
import { Engine } from "../../src/engine.js";

const options = JSON.parse(process.env.ENGINE_TEST_OPTIONS ?? "{}");
const engine = new Engine({ ...options, logger: pino({ level: process.env.ENGINE_TEST_LOG ?? "warn" }) });
await engine.start();
process.stdout.write(`READY ${engine.url}\n`);
process.on("SIGTERM", () => void engine.stop().then(() => process.exit(0)));
