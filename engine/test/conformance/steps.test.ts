import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { until } from "@jobdeck/test-kit";
import { NonRetriableError, RetryAfterError, referenceFunction } from "inngest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRuns, endedRunsOf, type Rig, rig, runsOf } from "../support/harness.js";

/** Every opcode the SDK emits, driven through the real `serve()` handler. */
describe("step opcodes and retries", () => {
  let r: Rig;
  const calls: Record<string, number> = {};
  const count = (k: string) => {
    calls[k] = (calls[k] ?? 0) + 1;
    return calls[k];
  };
  const failures: unknown[] = [];
  let fetchTarget = "";
  let fetchServer: ReturnType<typeof createServer>;

  beforeAll(async () => {
    fetchServer = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ method: req.method, body, path: req.url }));
      });
    });
    await new Promise<void>((resolve) => fetchServer.listen(0, "127.0.0.1", resolve));
    fetchTarget = `http://127.0.0.1:${(fetchServer.address() as AddressInfo).port}/hook`;

    r = await rig(
      "steps",
      (inngest) => [
        inngest.createFunction({ id: "sequence", retries: 2, triggers: [{ event: "t/sequence" }] }, async ({ event, step }) => {
          const a = await step.run("a", () => {
            count(`a:${event.data.n}`);
            return { a: 1 };
          });
          await step.sleep("nap", "300ms");
          const b = await step.run("b", () => {
            if (count(`b:${event.data.n}`) === 1) throw new Error("transient failure in b");
            return { b: 2 };
          });
          return { a, b };
        }),
        inngest.createFunction({ id: "parallel", triggers: [{ event: "t/parallel" }] }, async ({ step }) => {
          const [x, y, z] = await Promise.all([step.run("px", () => "x"), step.run("py", () => "y"), step.run("pz", () => "z")]);
          const again = await step.run("px", () => "x2"); // repeated id → "px:1"
          return { x, y, z, again };
        }),
        inngest.createFunction(
          {
            id: "always-fails",
            retries: 2,
            triggers: [{ event: "t/fail" }],
            onFailure: async ({ error, event }: { error: Error; event: { data: { event: { data: unknown } } } }) => {
              failures.push({ message: error.message, original: event.data.event.data });
            },
          },
          async ({ step }) => {
            await step.run("boom", () => {
              count("boom");
              throw new Error("permanent-ish");
            });
          },
        ),
        inngest.createFunction({ id: "non-retriable", retries: 3, triggers: [{ event: "t/nonretriable" }] }, async ({ step }) => {
          await step.run("nr", () => {
            count("nr");
            throw new NonRetriableError("do not retry me");
          });
        }),
        inngest.createFunction({ id: "caught", retries: 1, triggers: [{ event: "t/caught" }] }, async ({ step }) => {
          try {
            await step.run("flaky", () => {
              throw new Error("always");
            });
          } catch (err) {
            return { caught: (err as Error).message };
          }
        }),
        inngest.createFunction({ id: "retry-after", retries: 1, triggers: [{ event: "t/retry-after" }] }, async ({ step }) => {
          await step.run("ra", () => {
            if (count("ra") === 1) throw new RetryAfterError("slow down", "1s");
            return "ok";
          });
        }),
        inngest.createFunction({ id: "top-level-throw", retries: 1, triggers: [{ event: "t/throw" }] }, async () => {
          count("throw");
          throw new Error("thrown outside any step");
        }),
        inngest.createFunction({ id: "waiter", triggers: [{ event: "t/wait" }] }, async ({ event, step }) => {
          const got = await step.waitForEvent("approval", { event: "t/approve", timeout: event.data.timeout, match: "data.id" });
          return { approved: got ? got.data.by : null };
        }),
        inngest.createFunction({ id: "waiter-if", triggers: [{ event: "t/wait-if" }] }, async ({ step }) => {
          const got = await step.waitForEvent("big", { event: "t/amount", timeout: "10s", if: `async.data.amount > event.data.min` });
          return { amount: got?.data.amount ?? null };
        }),
        inngest.createFunction({ id: "child", triggers: [{ event: "t/child-direct" }] }, async ({ event, step }) => {
          await step.sleep("child-nap", event.data.napMs ?? 10);
          if (event.data.fail) throw new NonRetriableError("child failed");
          return { doubled: event.data.n * 2 };
        }),
        inngest.createFunction({ id: "parent", triggers: [{ event: "t/parent" }] }, async ({ event, step }) => {
          try {
            const res = await step.invoke("call-child", {
              function: referenceFunction({ appId: "steps", functionId: "child" }),
              data: { n: event.data.n, napMs: event.data.napMs, fail: event.data.fail },
              timeout: event.data.timeout ?? "10s",
            });
            return { ok: res };
          } catch (err) {
            return { error: (err as Error).message };
          }
        }),
        inngest.createFunction({ id: "parent-of-nobody", triggers: [{ event: "t/parent-missing" }] }, async ({ step }) => {
          try {
            return {
              ok: await step.invoke("call-missing", { function: referenceFunction({ appId: "steps", functionId: "missing" }), data: {} }),
            };
          } catch (err) {
            return { error: (err as Error).message };
          }
        }),
        inngest.createFunction({ id: "sender", triggers: [{ event: "t/send" }] }, async ({ step }) => {
          const sent = await step.sendEvent("emit", { name: "t/sent-by-step", data: { from: "sender" } });
          return sent;
        }),
        inngest.createFunction({ id: "receiver", triggers: [{ event: "t/sent-by-step" }] }, async ({ event }) => ({
          from: event.data.from,
        })),
        inngest.createFunction({ id: "fetcher", triggers: [{ event: "t/fetch" }] }, async ({ step, event }) => {
          const res = await step.fetch(event.data.url, { method: "POST", body: JSON.stringify({ hello: "world" }) });
          return { status: res.status, body: await res.json() };
        }),
      ],
      { outboundAllow: [new URL(fetchTarget).host] },
    );
  });

  afterAll(async () => {
    await r?.stop();
    fetchServer?.close();
  });

  it("runs steps, sleeps and a retried step to completion, each recorded step once", async () => {
    await r.client.send({ name: "t/sequence", data: { n: 1 } });
    const [run] = await endedRuns(r.engine, "steps-sequence");
    expect(run?.status).toBe("Completed");
    expect(run?.output).toEqual({ a: { a: 1 }, b: { b: 2 } });
    expect(calls["a:1"]).toBe(1);
    expect(calls["b:1"]).toBe(2);
    const trace = run?.steps.map((s) => `${s.kind}:${s.name}:${s.attempt}:${s.status}`);
    expect(trace?.slice(0, 4)).toEqual(["step:a:0:completed", "sleep:nap:0:completed", "step:b:0:errored", "step:b:1:completed"]);
    const sleepStep = run?.steps.find((s) => s.kind === "sleep");
    expect(sleepStep?.duration_ms).toBeGreaterThanOrEqual(290);
  });

  it("plans parallel steps, runs each with its own request, then resumes once", async () => {
    await r.client.send({ name: "t/parallel", data: {} });
    const [run] = await endedRuns(r.engine, "steps-parallel");
    expect(run?.output).toEqual({ x: "x", y: "y", z: "z", again: "x2" });
    const names = run?.steps.filter((s) => s.kind === "step").map((s) => s.name);
    expect(names?.slice(0, 3).sort()).toEqual(["px", "py", "pz"]);
    expect(names?.[3]).toBe("px");
  });

  it("retries up to the configured attempts, fails the run, and runs onFailure with the error", async () => {
    await r.client.send({ name: "t/fail", data: { order: 42 } });
    const [run] = await endedRuns(r.engine, "steps-always-fails");
    expect(run?.status).toBe("Failed");
    expect(calls.boom).toBe(3); // retries: 2 → 3 attempts
    expect(run?.error).toMatchObject({ message: "permanent-ish" });
    await until("onFailure handler", () => failures.length > 0);
    expect(failures[0]).toEqual({ message: "permanent-ish", original: { order: 42 } });
    const [handlerRun] = await endedRuns(r.engine, "steps-always-fails-failure");
    expect(handlerRun?.status).toBe("Completed");
  });

  it("does not retry a NonRetriableError", async () => {
    await r.client.send({ name: "t/nonretriable", data: {} });
    const [run] = await endedRuns(r.engine, "steps-non-retriable");
    expect(run?.status).toBe("Failed");
    expect(calls.nr).toBe(1);
    expect(run?.error).toMatchObject({ message: "do not retry me" });
  });

  it("hands a final step failure back to the function, which may catch it", async () => {
    await r.client.send({ name: "t/caught", data: {} });
    const [run] = await endedRuns(r.engine, "steps-caught");
    expect(run?.status).toBe("Completed");
    expect(run?.output).toEqual({ caught: "always" });
  });

  it("honours RetryAfterError's delay", async () => {
    await r.client.send({ name: "t/retry-after", data: {} });
    const [run] = await endedRuns(r.engine, "steps-retry-after");
    expect(run?.status).toBe("Completed");
    const [first, second] = run?.steps.filter((s) => s.name === "ra") ?? [];
    const gap = Date.parse(second?.started_at as string) - Date.parse(first?.ended_at as string);
    expect(gap).toBeGreaterThanOrEqual(900);
  });

  it("retries a function-level error and then fails the run", async () => {
    await r.client.send({ name: "t/throw", data: {} });
    const [run] = await endedRuns(r.engine, "steps-top-level-throw");
    expect(run?.status).toBe("Failed");
    expect(calls.throw).toBe(2);
    expect(run?.error).toMatchObject({ message: "thrown outside any step" });
  });

  it("resumes waitForEvent on a matching event and ignores others", async () => {
    const { ids } = await r.client.send({ name: "t/wait", data: { id: "w1", timeout: "20s" } });
    await until("wait pause", async () =>
      (await runsOf(r.engine, "steps-waiter")).find(
        (x) => x.event_id === ids[0] && (x.waiting?.reason ?? "").startsWith("waiting for event t/approve"),
      ),
    );
    await r.client.send({ name: "t/approve", data: { id: "other", by: "mallory" } });
    await r.client.send({ name: "t/approve", data: { id: "w1", by: "alice" } });
    const [run] = await endedRunsOf(r.engine, "steps-waiter", ids);
    expect(run?.output).toEqual({ approved: "alice" });
  });

  it("returns null from waitForEvent on timeout", async () => {
    const { ids } = await r.client.send({ name: "t/wait", data: { id: "w2", timeout: "300ms" } });
    const [run] = await endedRunsOf(r.engine, "steps-waiter", ids);
    expect(run?.output).toEqual({ approved: null });
  });

  it("evaluates waitForEvent `if` with event and async", async () => {
    await r.client.send({ name: "t/wait-if", data: { min: 100 } });
    await until("wait-if pause", async () =>
      (await runsOf(r.engine, "steps-waiter-if"))[0]?.waiting?.reason.startsWith("waiting for event"),
    );
    await r.client.send({ name: "t/amount", data: { amount: 50 } });
    await r.client.send({ name: "t/amount", data: { amount: 150 } });
    const [run] = await endedRuns(r.engine, "steps-waiter-if");
    expect(run?.output).toEqual({ amount: 150 });
  });

  it("invokes another function and receives its result", async () => {
    const { ids } = await r.client.send({ name: "t/parent", data: { n: 21 } });
    const [run] = await endedRunsOf(r.engine, "steps-parent", ids);
    expect(run?.output).toEqual({ ok: { doubled: 42 } });
    const invoke = run?.steps.find((s) => s.kind === "invoke");
    expect(invoke?.status).toBe("completed");
  });

  it("gives the invoker an error when the invoked function fails or times out", async () => {
    const failing = await r.client.send({ name: "t/parent", data: { n: 1, fail: true } });
    const slow = await r.client.send({ name: "t/parent", data: { n: 1, napMs: 3000, timeout: "500ms" } });
    const runs = await endedRunsOf(r.engine, "steps-parent", [...failing.ids, ...slow.ids]);
    const outputs = runs.map((x) => x.output as { error?: string });
    expect(outputs.some((o) => o.error?.includes("child failed"))).toBe(true);
    expect(outputs.some((o) => o.error?.includes("Timed out waiting for invoked function"))).toBe(true);
  });

  it("gives the invoker Inngest's error for a function that does not exist", async () => {
    // inngest/inngest pkg/execution/runner/runner.go FindInvokedFunction (253303c).
    const { ids } = await r.client.send({ name: "t/parent-missing", data: {} });
    const [run] = await endedRunsOf(r.engine, "steps-parent-of-nobody", ids);
    expect(run?.output).toEqual({ error: "could not find function with ID: steps-missing" });
  });

  it("lets step.sendEvent reach the engine from inside a request and trigger another function", async () => {
    await r.client.send({ name: "t/send", data: {} });
    const [sent] = await endedRuns(r.engine, "steps-sender");
    expect((sent?.output as { ids: string[] } | undefined)?.ids).toHaveLength(1);
    const [recv] = await endedRuns(r.engine, "steps-receiver");
    expect(recv?.output).toEqual({ from: "sender" });
  });

  it("performs step.fetch (Gateway) on the engine side", async () => {
    await r.client.send({ name: "t/fetch", data: { url: fetchTarget } });
    const [run] = await endedRuns(r.engine, "steps-fetcher");
    expect(run?.status).toBe("Completed");
    expect(run?.output).toMatchObject({ status: 200, body: { method: "POST", path: "/hook", body: '{"hello":"world"}' } });
    expect(run?.steps.some((s) => s.kind === "gateway" && s.status === "completed")).toBe(true);
  });
});
