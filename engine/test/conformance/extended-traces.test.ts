import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { until } from "@jobdeck/test-kit";
import { trace } from "@opentelemetry/api";
import { type Inngest, NonRetriableError } from "inngest";
import { extendedTracesMiddleware } from "inngest/experimental";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine.js";
import { runTraceId } from "../../src/protocol/trace-context.js";
import { endedRunsOf, rig, startEngine } from "../support/harness.js";
import { type ReceivedSpan, startAppTracing, startOtlpReceiver } from "../support/otel.js";
import { createClient, startApp, type TestApp } from "../support/sdk-app.js";

const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

/** A local HTTP service the function's step fetches from (its request is a span the undici instrumentation makes). */
async function startService(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("hello"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hello`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function functions(inngest: Inngest, serviceUrl: string) {
  const tracer = trace.getTracer("test-app", "1.0.0");
  return [
    inngest.createFunction({ id: "traced", triggers: [{ event: "xt/go" }] }, async ({ step }) => {
      const got = await step.run("work", () =>
        tracer.startActiveSpan("my-span", async (span) => {
          span.setAttribute("custom", 42);
          const body = await (await fetch(serviceUrl)).text();
          tracer.startActiveSpan("nested", (inner) => inner.end());
          span.end();
          return body;
        }),
      );
      await step.run("second", () => "two");
      return got;
    }),
    inngest.createFunction({ id: "broken", retries: 0, triggers: [{ event: "xt/broken" }] }, async ({ step }) => {
      await step.run("explode", () =>
        tracer.startActiveSpan("doomed", (span) => {
          span.setStatus({ code: 2, message: "it broke" });
          span.end();
          throw new NonRetriableError("explode failed");
        }),
      );
    }),
  ];
}

/**
 * Extended Traces against the engine, with the real SDK and OpenTelemetry: every execution request carries the run's
 * traceparent, so the SDK's span processor exports the spans the function makes to /v1/traces/userland; the run's
 * view shows them under their step, and an engine with an OTLP endpoint exports the run, its steps and those spans
 * as one trace.
 */
describe.each([
  ["checkpointing", true],
  ["classic", false],
])("extended traces, %s path", (_path, checkpointing) => {
  const appId = checkpointing ? "xtc" : "xtp";
  let engine: Engine;
  let app: TestApp;
  let tracing: ReturnType<typeof startAppTracing>;
  let service: Awaited<ReturnType<typeof startService>>;
  let collector: Awaited<ReturnType<typeof startOtlpReceiver>>;
  const headers: Array<{ traceparent?: string; tracestate?: string; run?: string }> = [];

  beforeAll(async () => {
    tracing = startAppTracing("traced-app");
    service = await startService();
    collector = await startOtlpReceiver();
    engine = await startEngine({ checkpointing, otlpTracesUrl: collector.url });
    const client = createClient(appId, engine.url, { middleware: [extendedTracesMiddleware({ behaviour: "extendProvider" })] });
    app = await startApp(client, functions(client, service.url), {
      onRequest: (req) => {
        if (req.method !== "POST") return;
        const h = req.headers;
        headers.push({ traceparent: h.traceparent as string, tracestate: h.tracestate as string, run: h["x-run-id"] as string });
      },
    });
    const synced = await engine.apps.syncUrl(app.url);
    if (!synced.ok) throw new Error(`sync failed: ${synced.error}`);
  });
  afterAll(async () => {
    await app?.close();
    await engine?.stop(1000);
    await Promise.all([tracing?.stop(), service?.close(), collector?.close()]);
  });

  const runOf = async (name: string, fn: string) => {
    const { ids } = await app.client.send({ name, data: {} });
    const [run] = await endedRunsOf(engine, `${appId}-${fn}`, ids);
    return run as NonNullable<typeof run>;
  };

  it("sends the run's traceparent and tracestate on every execution request", async () => {
    const run = await runOf("xt/go", "traced");
    const mine = headers.filter((h) => h.run === run.run_id);
    expect(mine.length).toBeGreaterThan(0);
    const traceId = runTraceId(run.run_id as string);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    for (const h of mine) {
      expect(h.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(h.tracestate).toBe(`inngest@app=${appId},inngest@fn=${appId}-traced`);
    }
    // A span id per request.
    expect(new Set(mine.map((h) => h.traceparent)).size).toBe(mine.length);
  });

  it("shows the spans a step made, nested under the step, in GET /v1/runs/:id", async () => {
    const run = await runOf("xt/go", "traced");
    expect(run.output).toBe("hello");
    const spans = await until("the run's spans", async () => {
      const view = (await engine.api.runs.get(run.run_id as string)).data;
      return view.spans.length >= 3 && view.spans;
    });
    const byName = (name: string) => spans.find((s) => s.name === name);
    const mySpan = byName("my-span");
    expect(mySpan).toMatchObject({ parent_span_id: null, step_id: sha1("work"), attempt: 0, kind: "internal", scope: "test-app" });
    expect(mySpan?.attributes).toMatchObject({ custom: 42, "inngest.step.id": "work" });
    // What links a span to its run and step is in the columns, not repeated in the attributes.
    expect(mySpan?.attributes).not.toHaveProperty("sdk.run.id");
    expect(mySpan?.attributes).not.toHaveProperty("inngest.traceparent");
    expect(byName("nested")).toMatchObject({ parent_span_id: mySpan?.span_id, step_id: sha1("work"), attempt: 0 });
    const fetchSpan = spans.find((s) => s.kind === "client");
    expect(fetchSpan).toMatchObject({ parent_span_id: mySpan?.span_id, step_id: sha1("work"), service: "traced-app" });
    expect(fetchSpan?.attributes).toMatchObject({ "http.response.status_code": 200 });
    // The SDK's wrapper around the request is not shown.
    expect(spans.some((s) => s.name === "inngest.execution")).toBe(false);
    // The step the spans name is in the run's steps, with the same id and attempt.
    expect(run.steps.some((st) => st.step_id === sha1("work") && st.attempt === 0 && st.kind === "step")).toBe(true);
    for (const s of spans) {
      expect(Date.parse(s.started_at as string)).toBeLessThanOrEqual(Date.parse(s.ended_at as string));
      expect(s.duration_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it("exports the run, its steps and the userland spans under them as one trace over OTLP", async () => {
    const run = await runOf("xt/go", "traced");
    const traceId = runTraceId(run.run_id as string);
    const mine = () => collector.spans().filter((s) => s.traceId === traceId);
    await until("the run's trace at the collector", () => mine().some((s) => s.name === "nested") && mine());
    const spans = mine();
    const one = (name: string): ReceivedSpan => {
      const found = spans.filter((s) => s.name === name);
      expect(found, name).toHaveLength(1);
      return found[0] as ReceivedSpan;
    };
    const root = one(`${appId}-traced`);
    expect(root.parentSpanId ?? "").toBe("");
    expect(root.attributes).toMatchObject({
      "inngest.run.id": run.run_id,
      "inngest.function.id": `${appId}-traced`,
      "inngest.run.status": "completed",
      "inngest.event.name": "xt/go",
    });
    expect(root.status?.code).toBe(1);
    expect(root.service).toBe("jobdeck-engine");
    const work = one("work");
    const second = one("second");
    for (const step of [work, second]) expect(step.parentSpanId).toBe(root.spanId);
    expect(work.attributes).toMatchObject({ "inngest.step.hash": sha1("work"), "inngest.step.status": "completed" });
    const mySpan = one("my-span");
    expect(mySpan.parentSpanId).toBe(work.spanId);
    expect(mySpan).toMatchObject({ service: "traced-app", scope: "test-app" });
    expect(mySpan.attributes).toMatchObject({ custom: 42, "inngest.step.id": "work", "inngest.step.hash": sha1("work") });
    expect(one("nested").parentSpanId).toBe(mySpan.spanId);
    const fetchSpan = spans.find((s) => s.kind === 3);
    expect(fetchSpan?.parentSpanId).toBe(mySpan.spanId);
    expect(spans.every((s) => s.traceId === traceId)).toBe(true);
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length);
  });

  it("exports a failed run and its failed step with an error status", async () => {
    const run = await runOf("xt/broken", "broken");
    expect(run.status).toBe("Failed");
    const traceId = runTraceId(run.run_id as string);
    const mine = () => collector.spans().filter((s) => s.traceId === traceId);
    await until("the failed run's trace", () => mine().some((s) => s.name === "doomed") && mine());
    const spans = mine();
    const root = spans.find((s) => !s.parentSpanId);
    expect(root?.status).toMatchObject({ code: 2 });
    expect(root?.status?.message).toMatch(/explode failed/);
    const step = spans.find((s) => s.name === "explode" && s.attributes["inngest.step.status"] === "failed");
    expect(step?.status?.code).toBe(2);
    const doomed = spans.find((s) => s.name === "doomed");
    expect(doomed?.status).toMatchObject({ code: 2, message: "it broke" });
    expect(doomed?.parentSpanId).toBe(step?.spanId);
  });
});

describe("an OTLP collector that refuses the export", () => {
  it("is logged once per batch and not retried: the export is dropped, the engine stops promptly", async () => {
    let posts = 0;
    const refusing: Server = createServer((req, res) => {
      req.resume();
      posts++;
      res.writeHead(400, { "content-type": "application/json" }).end('{"code":3,"message":"no"}');
    });
    await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(line) });
    const url = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/v1/traces`;
    const r = await rig("xtr", (inngest) => [inngest.createFunction({ id: "f", triggers: [{ event: "xtr/go" }] }, async () => 1)], {
      otlpTracesUrl: url,
      logger,
    });
    try {
      const { ids } = await r.client.send({ name: "xtr/go", data: {} });
      await endedRunsOf(r.engine, "xtr-f", ids);
      await until("the failed export logged", () => lines.some((l) => l.includes("OTLP export failed")));
      expect(posts).toBe(1);
    } finally {
      const stopping = Date.now();
      await r.stop();
      expect(Date.now() - stopping).toBeLessThan(3000);
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
    }
    expect(posts).toBe(1);
  });
});
