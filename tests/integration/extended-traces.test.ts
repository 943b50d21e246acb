import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppStack, finishedJob, startAppStack } from "../support/app-stack.js";
import { type HttpPeer, startHttpPeer } from "../support/peers.js";

/**
 * Extended traces through the app as it runs (JOBDECK_EXTENDED_TRACES=1: the tracer provider instrumentation.ts
 * starts, the SDK's extendedTracesMiddleware on the app's client, the real serve() handler, the embedded engine): the
 * spans a job's step makes (the webhook's fetch here) come back with the run, under the step that made them, as the
 * run page nests them. (PostgreSQL's spans need the pg module loaded after the provider starts, as it is in `npm start`;
 * this process loaded it first, so tests/e2e/traces.test.ts checks those on the launched stack.)
 */
let stack: AppStack;
let peer: HttpPeer;

beforeAll(async () => {
  peer = await startHttpPeer((_req, res) => res.end("ok"));
  stack = await startAppStack(
    { JOBDECK_EXTENDED_TRACES: "1" },
    {
      beforeApp: async () => {
        const { startTracing } = await import("../../server/tracing.js");
        await startTracing();
      },
    },
  );
});
afterAll(async () => {
  await stack?.stop();
  await peer?.close();
});

describe("extended traces", () => {
  it("puts a step's fetch span under that step in the run", async () => {
    const api = stack.caller("org_traces");
    const { job } = await api.job.create({ type: "deliver-webhook", payload: { url: `${peer.url}/traced`, body: { hello: "trace" } } });
    const done = await finishedJob(api, job.id);
    expect(done.status).toBe("COMPLETED");
    const runId = done.runId as string;
    // The SDK flushes its spans at the end of each request; the run page reads them from the engine.
    const run = await expect
      .poll(
        async () => {
          const r = await api.run.byId({ runId });
          return (r.spans ?? []).length ? r : undefined;
        },
        { timeout: 20_000 },
      )
      .toBeDefined()
      .then(() => api.run.byId({ runId }));
    const post = run.steps.find((s) => s.kind === "step" && s.name === "post");
    expect(post, JSON.stringify(run.steps.map((s) => [s.kind, s.name]))).toBeDefined();
    const spans = (run.spans ?? []).filter((s) => s.step_id === post?.step_id && s.attempt === post?.attempt);
    const names = spans.map((s) => s.name);
    expect(
      names.some((n) => /^POST\b/.test(n)),
      JSON.stringify(names),
    ).toBe(true);
    const fetchSpan = spans.find((s) => /^POST\b/.test(s.name));
    expect(String(fetchSpan?.attributes["url.full"] ?? "")).toContain("/traced");
    expect(fetchSpan?.status).not.toBe("error");
  });
});
