import { Inngest, Middleware } from "inngest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine.js";
import { endedRunsOf, startEngine } from "../support/harness.js";
import { startApp, type TestApp } from "../support/sdk-app.js";

/**
 * `ctx.stack.current` in every request, as Inngest numbers it: one past the stack position of the step that led to
 * the request (0 for the first), and a planned step's request inherits the number of the request that planned it
 * (inngest/inngest pkg/execution/executor/executor.go: stackIndex from edge.Outgoing; handleGeneratorStepPlanned
 * keeps edge.Outgoing, 253303c). One request per step (checkpointing off), so every hop is visible.
 */
describe("ctx.stack.current", () => {
  let engine: Engine;
  let app: TestApp;
  const seen: { stepId: string; current: number; stack: number }[] = [];

  beforeAll(async () => {
    engine = await startEngine({ checkpointing: false });
    class RecordStack extends Middleware.BaseMiddleware {
      readonly id = "record-stack";
      override async wrapRequest({ next, requestInfo }: Middleware.WrapRequestArgs): Promise<Middleware.Response> {
        const body = (await requestInfo.body()) as { ctx?: { stack?: { stack: string[]; current: number } } };
        const url = new URL(requestInfo.url ?? "http://x/", "http://x/");
        if (body?.ctx?.stack)
          seen.push({ stepId: url.searchParams.get("stepId") ?? "", current: body.ctx.stack.current, stack: body.ctx.stack.stack.length });
        return next();
      }
    }
    const silent = { info() {}, warn() {}, error() {}, debug() {} };
    const client = new Inngest({ id: "stk", isDev: true, baseUrl: engine.url, logger: silent, middleware: [RecordStack] });
    app = await startApp(client, [
      client.createFunction({ id: "fan", retries: 0, triggers: [{ event: "stk/go" }] }, async ({ step }) => {
        const a = await step.run("a", () => 1);
        const [x, y] = await Promise.all([step.run("x", () => a + 1), step.run("y", () => a + 2)]);
        return { sum: a + x + y };
      }),
    ]);
    const sync = await engine.apps.syncUrl(app.url);
    if (!sync.ok) throw new Error(sync.error);
  });

  afterAll(async () => {
    await app?.close();
    await engine?.stop(1000);
  });

  it("numbers discovery requests by the step before them and planned steps by the request that planned them", async () => {
    const res = await fetch(`${engine.url}/e/k`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "stk/go", data: {} }),
    });
    const { ids } = (await res.json()) as { ids: string[] };
    const [run] = await endedRunsOf(engine, "stk-fan", ids);
    expect(run?.output).toEqual({ sum: 6 });
    const discovery = seen.filter((s) => s.stepId === "step").map((s) => [s.stack, s.current]);
    const planned = seen.filter((s) => s.stepId !== "step").map((s) => s.current);
    // First request: empty stack, 0. After "a": 1. After x and y: 3 (one past the last of them).
    expect(discovery).toEqual([
      [0, 0],
      [1, 1],
      [3, 3],
    ]);
    // x and y were planned by the request numbered 1.
    expect(planned).toEqual([1, 1]);
  });
});
