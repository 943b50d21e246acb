import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOtlpReceiver } from "../../engine/test/support/otel.js";
import { chromiumMissing, launchBrowser, saveScreenshot } from "../support/browser.js";
import { type LaunchedStack, launchFreshMachineStack } from "../support/launch-stack.js";
import { type HttpPeer, startHttpPeer } from "../support/peers.js";

/**
 * Traces on `npm start` with a collector: OTEL_EXPORTER_OTLP_ENDPOINT names an OTLP/HTTP receiver the test starts.
 * A webhook job's step makes a fetch and PostgreSQL queries; the SDK's extended traces bring them back to the
 * embedded engine, which shows them under the step on the run page, and the engine exports the run (a root span, a
 * span per step, the step's own spans beneath) to the collector, where the app's own spans arrive too.
 */
describe("traces: extended traces and OTLP export on npm start", () => {
  let stack: LaunchedStack;
  let peer: HttpPeer;
  let collector: Awaited<ReturnType<typeof startOtlpReceiver>>;
  const dataDir = join(mkdtempSync(join(tmpdir(), "jobdeck-traces-")), "pglite");

  beforeAll(async () => {
    peer = await startHttpPeer((_req, res) => res.end("ok"));
    collector = await startOtlpReceiver();
    stack = await launchFreshMachineStack(dataDir, {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url.replace(/\/v1\/traces$/, ""),
      OTEL_BSP_SCHEDULE_DELAY: "200",
    });
  }, 300_000);
  afterAll(async () => {
    await stack?.kill();
    await collector?.close();
    await peer?.close();
  }, 30_000);

  it("shows a step's fetch and PostgreSQL spans under it, and exports the run to the collector", async () => {
    const created = await fetch(`${stack.baseUrl}/api/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "deliver-webhook", payload: { url: `${peer.url}/traced`, body: { hello: "trace" } } }),
    });
    const { id } = (await created.json()) as { id: string };
    const job = await until(
      "the webhook job completes",
      async () => {
        const j = (await (await fetch(`${stack.baseUrl}/api/jobs/${id}`)).json()) as { status: string; runId: string };
        return j.status === "COMPLETED" && j;
      },
      60_000,
      200,
    );
    const run = await until(
      "the run's spans",
      async () => {
        const res = await fetch(`${stack.baseUrl}/api/trpc/run.byId?input=${encodeURIComponent(JSON.stringify({ runId: job.runId }))}`);
        const r = ((await res.json()) as { result: { data: { steps: any[]; spans?: any[] } } }).result.data;
        // The app exports its spans in batches: wait for the post step's fetch and query spans, not just any span.
        const step = r.steps.find((x) => x.kind === "step" && x.name === "post");
        const spans = (r.spans ?? []).filter((x) => step && x.step_id === step.step_id && x.attempt === step.attempt);
        const hasPost = spans.some((x) => /^POST\b/.test(x.name));
        const hasQuery = spans.some((x) => (x.attributes["db.system"] ?? x.attributes["db.system.name"]) === "postgresql");
        return hasPost && hasQuery && r;
      },
      20_000,
      250,
    );
    const post = run.steps.find((s) => s.kind === "step" && s.name === "post");
    const mine = (run.spans ?? []).filter((s) => s.step_id === post.step_id && s.attempt === post.attempt);
    const names = mine.map((s: { name: string }) => s.name);
    expect(
      names.some((n: string) => /^POST\b/.test(n)),
      JSON.stringify(names),
    ).toBe(true);
    expect(
      mine.some((s: any) => (s.attributes["db.system"] ?? s.attributes["db.system.name"]) === "postgresql"),
      JSON.stringify(names),
    ).toBe(true);

    // The engine's export: the run's trace id is its ULID, the step a child of the run, the fetch under the step.
    const exported = await until(
      "the run exported to the collector",
      async () => {
        const spans = collector.spans();
        const root = spans.find((s) => s.service === "jobdeck-engine" && s.attributes["inngest.run.id"] === job.runId);
        const trace = root ? spans.filter((s) => s.traceId === root.traceId) : [];
        return trace.some((s) => /^POST\b/.test(s.name)) && trace;
      },
      20_000,
      250,
    );
    const byId = new Map(exported.map((s) => [s.spanId, s]));
    const step = exported.find((s) => s.name === "post");
    expect(step, JSON.stringify(exported.map((s) => s.name))).toBeDefined();
    // The fetch sits under the step (directly, or under a span the step's code made). The app's own provider sends
    // its copy too, under Next's request span (it continues the engine's traceparent): the engine's copy is the one
    // under the step.
    const underStep = (s: (typeof exported)[number]) => {
      let parent = s.parentSpanId;
      while (parent && parent !== step?.spanId) parent = byId.get(parent)?.parentSpanId;
      return parent === step?.spanId;
    };
    expect(exported.filter((s) => /^POST\b/.test(s.name)).some(underStep), JSON.stringify(exported.map((s) => s.name))).toBe(true);
    expect(exported.some((s) => s.name.startsWith("pg.query") && underStep(s))).toBe(true);
    // The app's own provider sent its spans to the same collector.
    await until("the app's spans", async () => collector.spans().some((s) => s.service === "jobdeck-app"), 20_000, 250);

    if (!chromiumMissing) {
      const browser = await launchBrowser();
      try {
        const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
        await page.goto(`${stack.baseUrl}/runs/${job.runId}`);
        await page.locator('li[data-span^="POST"]').first().waitFor();
        await saveScreenshot(page, "run-trace-spans");
      } finally {
        await browser.close();
      }
    }
  }, 120_000);
});
