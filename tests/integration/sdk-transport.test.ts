import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { until } from "@jobdeck/test-kit";
import { Inngest, type Logger } from "inngest";
import { serve } from "inngest/node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../../engine/src/engine.js";
import { checkpointingOption, envReads, keepAliveFetch, snapshotProcessEnv } from "../../server/events/sdk-transport.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/**
 * What server/events/sdk-transport.ts relies on in the SDK and in Node, checked against the real SDK `serve()` handler
 * and the real engine: the SDK lists `process.env` on every request (so the snapshot is what it lists) and makes
 * its checkpoint calls through the client's `fetch`; the snapshot still behaves as the environment for writes.
 */
const silent: Logger = { info() {}, warn() {}, error() {}, debug() {} };

let database: TestDatabase;
let engine: Engine;
let server: Server;
const calls: { method: string; url: string }[] = [];
const executions = { a: 0, b: 0, c: 0 };

beforeAll(async () => {
  snapshotProcessEnv();
  database = await createTestDatabase("jobdeck_transport");
  engine = new Engine({
    databaseUrl: database.url,
    schema: "engine",
    port: 0,
    backoff: 50,
    resyncIntervalMs: 0,
    logger: pino({ level: "silent" }),
  });
  await engine.start();
  const counting: typeof fetch = (input, init) => {
    calls.push({ method: init?.method ?? "GET", url: String(input) });
    return keepAliveFetch(input as string, init);
  };
  const client = new Inngest({ id: "transport", isDev: true, baseUrl: engine.url, logger: silent, fetch: counting });
  const twoSteps = client.createFunction({ id: "two-steps", retries: 0, triggers: [{ event: "transport/go" }] }, async ({ step }) => {
    const a = await step.run("a", () => 20);
    const b = await step.run("b", () => 22);
    return { sum: a + b };
  });
  // STEP_CHECKPOINT_BUFFER=10: finished steps travel together, with the run's end or before a failing step's error.
  const buffered = client.createFunction(
    {
      id: "buffered",
      retries: 1,
      triggers: [{ event: "transport/buffered" }],
      checkpointing: checkpointingOption({ STEP_CHECKPOINT_BUFFER: 10, STEP_CHECKPOINT_INTERVAL_MS: 100 }),
    },
    async ({ event, step, attempt }) => {
      const a = await step.run("a", () => {
        executions.a++;
        return 1;
      });
      const b = await step.run("b", () => {
        executions.b++;
        return 2;
      });
      const c = await step.run("c", () => {
        executions.c++;
        if (event.data.failOnce && attempt === 0) throw new Error("c fails on the first attempt");
        return 3;
      });
      return { sum: a + b + c };
    },
  );
  const handler = serve({ client, functions: [twoSteps, buffered] });
  server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const sync = await engine.apps.syncUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/inngest`);
  if (!sync.ok) throw new Error(sync.error);
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await engine?.stop(1000);
  await database?.drop();
});

describe("the SDK over the app's transport", () => {
  it("runs a function to completion with its checkpoints going through the client's fetch, listing the snapshot per request", async () => {
    const listed = envReads();
    const sent = await fetch(`${engine.url}/e/test`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "transport/go", data: {} }),
    });
    expect(sent.status).toBe(200);
    const runs = await until(
      "the run to complete",
      async () => {
        const res = await (await fetch(`${engine.url}/v1/runs?status=Completed`)).json();
        return res.data?.length ? res.data : false;
      },
      30_000,
    );
    expect(runs[0].output).toEqual({ sum: 42 });
    const checkpoints = calls.filter((c) => c.method === "POST" && /\/v1\/checkpoint\/[^/]+\/async$/.test(c.url));
    // Each step was reported by a checkpoint call made with the client's fetch, not the global one.
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    expect(checkpoints[0]?.url.startsWith(engine.url)).toBe(true);
    // The SDK read its configuration from process.env while serving: through the snapshot.
    expect(envReads()).toBeGreaterThan(listed);
  });

  it("with a step buffer, reports a run's quick steps with its end (no checkpoint calls), and a failing step's predecessors before its error", async () => {
    const run = async (failOnce: boolean) => {
      const before = calls.length;
      Object.assign(executions, { a: 0, b: 0, c: 0 });
      const sent = await fetch(`${engine.url}/e/test`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "transport/buffered", data: { failOnce } }),
      });
      const { ids } = (await sent.json()) as { ids: string[] };
      const done = await until(
        "the buffered run to complete",
        async () => {
          const res = await (await fetch(`${engine.url}/v1/events/${ids[0]}/runs`)).json();
          return res.data?.[0]?.status === "Completed" ? res.data[0] : false;
        },
        30_000,
      );
      const checkpoints = calls.slice(before).filter((c) => /\/v1\/checkpoint\//.test(c.url)).length;
      return { output: done.output, checkpoints, runId: done.run_id as string };
    };
    const quick = await run(false);
    expect(quick.output).toEqual({ sum: 6 });
    expect(quick.checkpoints).toBe(0);
    expect(executions).toEqual({ a: 1, b: 1, c: 1 });
    // Every step is in the engine's record of the run, as with a report per step.
    const trace = await (await fetch(`${engine.url}/v1/runs/${quick.runId}`)).json();
    expect(JSON.stringify(trace)).toMatch(/"a"[\s\S]*"b"[\s\S]*"c"/);

    const failing = await run(true);
    expect(failing.output).toEqual({ sum: 6 });
    // a and b were reported before c's error, so the retry replays them from memory and runs only c again.
    expect(executions).toEqual({ a: 1, b: 1, c: 2 });
  });

  it("keeps process.env behaving as the environment: strings, deletes, child processes, TZ", () => {
    process.env.JOBDECK_TRANSPORT_TEST = 42 as unknown as string;
    expect(process.env.JOBDECK_TRANSPORT_TEST).toBe("42");
    expect(Object.keys(process.env)).toContain("JOBDECK_TRANSPORT_TEST");
    // Still an object as the real environment is, with Object.prototype's methods.
    expect(typeof process.env.hasOwnProperty).toBe("function");
    expect(String(process.env)).toBe("[object Object]");
    process.env.JOBDECK_TRANSPORT_TEST = "43";
    expect({ ...process.env }.JOBDECK_TRANSPORT_TEST).toBe("43");
    const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.env.JOBDECK_TRANSPORT_TEST))"], {
      encoding: "utf8",
    });
    expect(child.stdout).toBe("43");
    delete process.env.JOBDECK_TRANSPORT_TEST;
    expect("JOBDECK_TRANSPORT_TEST" in process.env).toBe(false);
    const tz = process.env.TZ;
    try {
      process.env.TZ = "Asia/Tokyo";
      expect(new Date(0).getHours()).toBe(9);
      process.env.TZ = "UTC";
      expect(new Date(0).getHours()).toBe(0);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it("answers as fetch does: status, headers and body; a request that gets no answer rejects with 'fetch failed'", async () => {
    const peer = createServer((req, res) => {
      if (req.url === "/empty") {
        res.statusCode = 204;
        res.end();
        return;
      }
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        res.setHeader("x-seen-auth", String(req.headers.authorization));
        res.statusCode = 409;
        res.end(JSON.stringify({ method: req.method, body }));
      });
    });
    await new Promise<void>((resolve) => peer.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
    try {
      const res = await keepAliveFetch(`${base}/x`, { method: "POST", body: "hello", headers: { Authorization: "Bearer k" } });
      expect(res.status).toBe(409);
      expect(res.ok).toBe(false);
      expect(res.statusText).toBe("Conflict");
      expect(res.headers.get("x-seen-auth")).toBe("Bearer k");
      expect(await res.json()).toEqual({ method: "POST", body: "hello" });
      const empty = await keepAliveFetch(`${base}/empty`);
      expect(empty.status).toBe(204);
      expect(await empty.text()).toBe("");
    } finally {
      peer.closeAllConnections();
      await new Promise((resolve) => peer.close(resolve));
    }
    await expect(keepAliveFetch(`${base}/gone`)).rejects.toThrow("fetch failed");
  });
});
