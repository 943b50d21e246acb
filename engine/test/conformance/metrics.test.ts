import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { NonRetriableError } from "inngest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRuns, type Rig, rig } from "../support/harness.js";

/**
 * GET /metrics: Prometheus text behind a bearer token (the metrics token, or the signing key as self-hosted Inngest
 * takes it), with self-hosted Inngest's `inngest_queue_depth` and the engine's own counters and histograms, which
 * move with the runs the engine carries out. promtool (Debian's prometheus package) checks the text when present.
 */
describe("metrics", () => {
  let r: Rig;
  const TOKEN = "metrics-token-0123456789abcdef";
  const SIGNING = `signkey-test-${"ab".repeat(32)}`;

  beforeAll(async () => {
    r = await rig(
      "mx",
      (inngest) => [
        inngest.createFunction({ id: "ok", triggers: [{ event: "mx/ok" }] }, async ({ step }) => step.run("one", () => 1)),
        inngest.createFunction({ id: "flaky", retries: 1, triggers: [{ event: "mx/flaky" }] }, async ({ attempt }) => {
          if (attempt === 0) throw new Error("first attempt fails");
          throw new NonRetriableError("and the second for good");
        }),
      ],
      { metricsToken: TOKEN, signingKey: SIGNING, eventKeys: ["mx-event-key"], backoff: 10 },
      { signingKey: SIGNING, eventKey: "mx-event-key" },
    );
  });
  afterAll(async () => r?.stop());

  const scrape = (auth?: string) => fetch(`${r.engine.url}/metrics`, { headers: auth ? { authorization: auth } : {} });

  it("answers 401 without the token, and the same text to the metrics token and the signing key", async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape("Bearer wrong-token-wrong-token")).status).toBe(401);
    const byToken = await scrape(`Bearer ${TOKEN}`);
    expect(byToken.status).toBe(200);
    expect(byToken.headers.get("content-type")).toContain("text/plain");
    expect((await scrape(`Bearer ${SIGNING}`)).status).toBe(200);
  });

  it("counts runs, retries, requests and queue depth as the runs go", async () => {
    await r.client.send([{ name: "mx/ok" }, { name: "mx/ok" }, { name: "mx/flaky" }]);
    await endedRuns(r.engine, "mx-ok", 2);
    await endedRuns(r.engine, "mx-flaky", 1);
    const text = await (await scrape(`Bearer ${TOKEN}`)).text();
    expect(text).toMatch(/^jobdeck_engine_runs_started_total\{function="mx-ok"\} 2$/m);
    expect(text).toMatch(/^jobdeck_engine_runs_finished_total\{function="mx-ok",status="completed"\} 2$/m);
    expect(text).toMatch(/^jobdeck_engine_runs_finished_total\{function="mx-flaky",status="failed"\} 1$/m);
    expect(text).toMatch(/^jobdeck_engine_step_retries_total\{function="mx-flaky"\} 1$/m);
    expect(text).toMatch(/^jobdeck_engine_events_received_total 3$/m);
    // At least one timed request per run (a step may be checkpointed inside the same request).
    expect(Number(/^jobdeck_engine_request_seconds_count\{function="mx-ok"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^jobdeck_engine_dispatch_latency_seconds_count 3$/m);
    expect(text).toMatch(/^inngest_queue_depth 0$/m);
    expect(text).toMatch(/^jobdeck_engine_app_reachable\{app="mx"\} 1$/m);
    expect(Number(/^jobdeck_engine_journal_flush_seconds_count (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    if (existsSync("/usr/bin/promtool")) {
      const check = spawnSync("/usr/bin/promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
      expect(`${check.stdout}${check.stderr}`.trim(), "promtool check metrics").toBe("");
      expect(check.status).toBe(0);
    }
  });
});
