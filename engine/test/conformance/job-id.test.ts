import { NonRetriableError } from "inngest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRunsOf, type Rig, rig } from "../support/harness.js";

/**
 * `x-inngest-job-id` on every execution request, as Inngest's HTTP driver sends it (pkg/execution/driver/httpdriver
 * and pkg/headers: "the stable queue item identifier for the current job", 253303c): the SDK puts it in the
 * function's context as `jobId`, and a retry of the same request keeps it.
 */
describe("x-inngest-job-id", () => {
  let r: Rig;
  const seen: { attempt: number; jobId: unknown }[] = [];

  beforeAll(async () => {
    r = await rig("jid", (inngest) => [
      inngest.createFunction({ id: "retried", retries: 1, triggers: [{ event: "jid/go" }] }, async (ctx) => {
        seen.push({ attempt: ctx.attempt, jobId: (ctx as unknown as { jobId?: unknown }).jobId });
        if (ctx.attempt === 0) throw new Error("first attempt fails");
        if (ctx.attempt > 1) throw new NonRetriableError("unexpected attempt");
        return "ok";
      }),
    ]);
  });
  afterAll(async () => r?.stop());

  it("gives the function a job id, the same one on its retry", async () => {
    const { ids } = await r.client.send({ name: "jid/go", data: {} });
    const [run] = await endedRunsOf(r.engine, "jid-retried", ids);
    expect(run?.status).toBe("Completed");
    expect(seen.map((s) => s.attempt)).toEqual([0, 1]);
    expect(typeof seen[0]?.jobId).toBe("string");
    expect(String(seen[0]?.jobId ?? "")).not.toBe("");
    expect(seen[1]?.jobId).toBe(seen[0]?.jobId);
  });
});
