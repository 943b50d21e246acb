import { NonRetriableError } from "inngest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRunsOf, type Rig, rig } from "../support/harness.js";

/**
 * A failed run's `output` as Inngest's runs API returns it (GET /v1/runs/:id; history lifecycle and
 * StandardError.Serialize at 253303c): the error body the SDK answered with when the function threw, and
 * `{"error": {error, name, message}}` when Inngest itself failed the run (a limit, a signal conflict).
 */
describe("a failed run's output", () => {
  let r: Rig;

  beforeAll(async () => {
    r = await rig("fout", (inngest) => [
      inngest.createFunction({ id: "throws", retries: 0, triggers: [{ event: "fout/throw" }] }, async () => {
        throw new Error("boom");
      }),
      inngest.createFunction({ id: "refuses", triggers: [{ event: "fout/refuse" }] }, async () => {
        throw new NonRetriableError("not this one");
      }),
      inngest.createFunction({ id: "step-fails", retries: 0, triggers: [{ event: "fout/step" }] }, async ({ step }) => {
        await step.run("charge", () => {
          throw new Error("card declined");
        });
      }),
      inngest.createFunction({ id: "conflict", triggers: [{ event: "fout/signal" }] }, async ({ step }) => {
        await step.waitForSignal("wait", { signal: "fout-one", timeout: "5s", onConflict: "fail" });
      }),
    ]);
  });
  afterAll(async () => r?.stop());

  it("is the error the SDK answered with when the function threw", async () => {
    const { ids } = await r.client.send({ name: "fout/throw", data: {} });
    const [run] = await endedRunsOf(r.engine, "fout-throws", ids);
    expect(run?.status).toBe("Failed");
    expect(run?.output).toMatchObject({ name: "Error", message: "boom", stack: expect.stringContaining("boom") });
    expect(run?.output).toEqual(run?.error);
  });

  it("keeps the error's own name (NonRetriableError) and a step's final failure", async () => {
    const refused = await r.client.send({ name: "fout/refuse", data: {} });
    const [a] = await endedRunsOf(r.engine, "fout-refuses", refused.ids);
    expect(a?.output).toMatchObject({ name: "NonRetriableError", message: "not this one" });
    const stepped = await r.client.send({ name: "fout/step", data: {} });
    const [b] = await endedRunsOf(r.engine, "fout-step-fails", stepped.ids);
    expect(b?.status).toBe("Failed");
    expect(b?.output).toMatchObject({ message: expect.stringContaining("card declined") });
  });

  it("is {error: {error, name, message}} when the engine failed the run", async () => {
    const first = await r.client.send({ name: "fout/signal", data: {} });
    const second = await r.client.send({ name: "fout/signal", data: {} });
    const runs = await endedRunsOf(r.engine, "fout-conflict", [...first.ids, ...second.ids]);
    const failed = runs.find((x) => x.status === "Failed");
    expect(failed?.output).toEqual({
      error: {
        error: "Error: Signal conflict; signal wait already exists for another run",
        name: "Error",
        message: "Signal conflict; signal wait already exists for another run",
      },
    });
  });
});
