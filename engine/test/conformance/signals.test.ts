import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../../src/engine.js";
import { databaseUrl, endedRunsOf, post, type Rig, rig } from "../support/harness.js";

type RunView = Awaited<ReturnType<Engine["api"]["runs"]["get"]>>["data"];

/** Waits until the run parked on its signal wait (the pause is committed and armed). */
async function waitingOnSignal(engine: Engine, eventId: string, fnSlug: string): Promise<RunView> {
  return until(`a run of ${fnSlug} waiting for its signal`, async () => {
    const runs = await engine.api.runs.list({ functionSlug: fnSlug, limit: 50 });
    const run = runs.data.find((r) => r.event_id === eventId);
    if (!run) return undefined;
    const view = (await engine.api.runs.get(run.run_id as string)).data;
    return view.steps.some((s) => s.kind === "signal" && s.status === "waiting") ? view : undefined;
  });
}

/**
 * step.waitForSignal, client.sendSignal / step.sendSignal and `POST /v1/signals` as Inngest has them
 * (pkg/execution/executor/executor.go handleGeneratorWaitForSignal and ResumeSignal, pkg/api/apiv1/signals.go at
 * 253303c): the wait resumes with `{signal, data}` or null at its timeout, an unknown signal is 404, and a second
 * waiter for one signal fails the run unless it replaces the first.
 */
describe("signals", () => {
  let r: Rig;

  beforeAll(async () => {
    r = await rig("sig", (inngest) => [
      inngest.createFunction({ id: "waiter", triggers: [{ event: "sig/wait" }] }, async ({ event, step }) => {
        const d = event.data as { signal: string; timeout?: string; onConflict?: "replace" | "fail" };
        const got = await step.waitForSignal("wait", { signal: d.signal, timeout: d.timeout ?? "1h", onConflict: d.onConflict ?? "fail" });
        return { got };
      }),
      inngest.createFunction({ id: "sender", triggers: [{ event: "sig/send" }] }, async ({ event, step }) => {
        const d = event.data as { signal: string; data: unknown };
        return step.sendSignal("send", { signal: d.signal, data: d.data });
      }),
    ]);
  });
  afterAll(async () => r?.stop());

  it("client.sendSignal resumes the waiting run with {signal, data} and answers its run id", async () => {
    const { ids } = await r.client.send({ name: "sig/wait", data: { signal: "order-1:approved" } });
    const waiting = await waitingOnSignal(r.engine, ids[0] as string, "sig-waiter");
    expect(waiting.waiting?.reason).toMatch(/^waiting for signal order-1:approved until /);
    const sent = await r.client.sendSignal({ signal: "order-1:approved", data: { by: "ana" } });
    expect(sent.runId).toBe(waiting.run_id);
    const [run] = await endedRunsOf(r.engine, "sig-waiter", ids);
    expect(run?.status).toBe("Completed");
    expect(run?.output).toEqual({ got: { signal: "order-1:approved", data: { by: "ana" } } });
    expect(run?.steps.find((s) => s.kind === "signal")).toMatchObject({ status: "completed", name: "wait" });
  });

  it('a signal nobody waits for is 404 "No signal found" (the SDK reads it as no run)', async () => {
    const raw = await post(`${r.engine.url}/v1/signals`, { signal: "nobody-waits", data: 1 });
    expect(raw).toEqual({ status: 404, json: { error: "No signal found", status: 404 } });
    expect(await r.client.sendSignal({ signal: "nobody-waits" })).toEqual({ runId: undefined });
  });

  it("a signal sent twice resumes the run once: the second finds no waiter", async () => {
    const { ids } = await r.client.send({ name: "sig/wait", data: { signal: "once" } });
    await waitingOnSignal(r.engine, ids[0] as string, "sig-waiter");
    const first = await post(`${r.engine.url}/v1/signals`, { signal: "once", data: "a" });
    const second = await post(`${r.engine.url}/v1/signals`, { signal: "once", data: "b" });
    expect(first.status).toBe(200);
    expect(first.json.data.run_id).toMatch(/^[0-9A-Z]{26}$/);
    expect(second.status).toBe(404);
    const [run] = await endedRunsOf(r.engine, "sig-waiter", ids);
    expect(run?.output).toEqual({ got: { signal: "once", data: "a" } });
  });

  it("the wait resumes with null when its timeout passes", async () => {
    const { ids } = await r.client.send({ name: "sig/wait", data: { signal: "never-sent", timeout: "2s" } });
    const [run] = await endedRunsOf(r.engine, "sig-waiter", ids);
    expect(run?.status).toBe("Completed");
    expect(run?.output).toEqual({ got: null });
    expect(run?.steps.find((s) => s.kind === "signal")?.status).toBe("timed_out");
    expect((await post(`${r.engine.url}/v1/signals`, { signal: "never-sent" })).status).toBe(404);
  });

  it("step.sendSignal from another run resumes the waiter", async () => {
    const { ids } = await r.client.send({ name: "sig/wait", data: { signal: "from-a-step" } });
    const waiting = await waitingOnSignal(r.engine, ids[0] as string, "sig-waiter");
    const sender = await r.client.send({ name: "sig/send", data: { signal: "from-a-step", data: [1, 2] } });
    const [sent] = await endedRunsOf(r.engine, "sig-sender", sender.ids);
    expect(sent?.output).toEqual({ runId: waiting.run_id });
    const [run] = await endedRunsOf(r.engine, "sig-waiter", ids);
    expect(run?.output).toEqual({ got: { signal: "from-a-step", data: [1, 2] } });
  });

  it("a second waiter for the same signal fails with Inngest's conflict error; onConflict replace takes it over", async () => {
    const first = await r.client.send({ name: "sig/wait", data: { signal: "shared", timeout: "4s" } });
    await waitingOnSignal(r.engine, first.ids[0] as string, "sig-waiter");
    const clash = await r.client.send({ name: "sig/wait", data: { signal: "shared" } });
    const [failed] = await endedRunsOf(r.engine, "sig-waiter", clash.ids);
    const conflict = {
      error: "Error: Signal conflict; signal wait already exists for another run",
      name: "Error",
      message: "Signal conflict; signal wait already exists for another run",
    };
    expect(failed?.status).toBe("Failed");
    expect(failed?.output).toEqual({ error: conflict });

    const replacing = await r.client.send({ name: "sig/wait", data: { signal: "shared", onConflict: "replace" } });
    const taker = await waitingOnSignal(r.engine, replacing.ids[0] as string, "sig-waiter");
    expect((await r.client.sendSignal({ signal: "shared", data: "yours" })).runId).toBe(taker.run_id);
    const [replaced] = await endedRunsOf(r.engine, "sig-waiter", replacing.ids);
    expect(replaced?.output).toEqual({ got: { signal: "shared", data: "yours" } });
    // The wait it replaced no longer receives the signal; it resumes with null at its own timeout.
    const [original] = await endedRunsOf(r.engine, "sig-waiter", first.ids);
    expect(original?.output).toEqual({ got: null });
  });

  it("a body without a signal name is a 400 naming the field", async () => {
    expect(await post(`${r.engine.url}/v1/signals`, { data: 1 })).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/^signal: /) },
    });
    expect(await post(`${r.engine.url}/v1/signals`, { signal: "" })).toMatchObject({ status: 400 });
    expect(await post(`${r.engine.url}/v1/signals`, { signal: 5 })).toMatchObject({ status: 400 });
  });

  it("a signal wait survives an engine restart", async () => {
    const { ids } = await r.client.send({ name: "sig/wait", data: { signal: "across-restart" } });
    await waitingOnSignal(r.engine, ids[0] as string, "sig-waiter");
    const schema = r.engine.ctx.opts.schema;
    await r.engine.stop(1000);
    const next = new Engine({ databaseUrl: databaseUrl(), schema, port: 0, backoff: 50, resyncIntervalMs: 0, logger: r.engine.ctx.log });
    await next.start();
    try {
      const sent = await post(`${next.url}/v1/signals`, { signal: "across-restart", data: "still here" });
      expect(sent.status).toBe(200);
      const [run] = await endedRunsOf(next, "sig-waiter", ids);
      expect(run?.output).toEqual({ got: { signal: "across-restart", data: "still here" } });
    } finally {
      await next.stop(1000);
    }
  });
});
