import { sleep, until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRunsOf, type Rig, rig } from "../support/harness.js";

const STEP_MS = 400;

/**
 * A queued run's predicted start (`predicted_start` in GET /v1/runs/:id): its place in line on the concurrency key
 * that holds it, the slots busy, and the function's median request time give "starts in about …", which must come
 * true within ±50% when the steps take a known time.
 */
describe("predicted start", () => {
  let r: Rig;

  beforeAll(async () => {
    r = await rig("pred", (inngest) => [
      inngest.createFunction(
        { id: "slow", concurrency: { limit: 1, key: "event.data.tenant" }, triggers: [{ event: "pred/go" }] },
        async ({ step }) => {
          await step.run("work", () => sleep(STEP_MS)); // the step's known duration, which the prediction is checked against
          return "ok";
        },
      ),
    ]);
  });
  afterAll(async () => r?.stop());

  it("says when a run behind a full concurrency key starts, and it starts then (±50%)", async () => {
    // Two runs first, so the function has request timings to reckon with.
    const warm = await r.client.send([
      { name: "pred/go", data: { tenant: "acme" } },
      { name: "pred/go", data: { tenant: "acme" } },
    ]);
    await endedRunsOf(r.engine, "pred-slow", warm.ids);

    const burst = await r.client.send(Array.from({ length: 5 }, () => ({ name: "pred/go", data: { tenant: "acme" } })));
    const last = burst.ids[4] as string;
    const lastRun = await until("the last run of the burst to be queued", async () => {
      const runs = await r.engine.api.runs.list({ functionSlug: "pred-slow", limit: 20 });
      return runs.data.find((x) => x.event_id === last);
    });
    const view = await until("the last run to be held by its key", async () => {
      const v = (await r.engine.api.runs.get(lastRun.run_id as string)).data;
      return v.predicted_start?.reason === "concurrency" ? v : undefined;
    });
    const predicted = view.predicted_start;
    const askedAt = Date.now();
    expect(predicted?.key).toContain("acme");
    // The key is the function's tenant key: the run hears of its tenant's own jobs and share, nothing of others'.
    expect(predicted?.limit).toBeNull();
    expect(predicted?.busy).toBeNull();
    expect(predicted?.position).toBeGreaterThanOrEqual(1);
    expect(predicted?.text).toMatch(
      /^starts in about .+ — \d+(st|nd|rd|th) of acme's jobs in line; waiting for a slot: acme runs 1 of its 1 \(median step .+\)$/,
    );
    const [ended] = await endedRunsOf(r.engine, "pred-slow", [last], 30_000);
    const actual = Date.parse(ended?.run_started_at as string) - askedAt;
    const expected = predicted?.starts_in_ms as number;
    expect(expected).toBeGreaterThan(0);
    console.log(`predicted start ${expected} ms, actual ${actual} ms (position ${predicted?.position})`);
    expect(actual).toBeGreaterThanOrEqual(expected * 0.5);
    expect(actual).toBeLessThanOrEqual(expected * 1.5);
  });

  it("is null once the run has ended", async () => {
    const { ids } = await r.client.send({ name: "pred/go", data: { tenant: "solo" } });
    const [run] = await endedRunsOf(r.engine, "pred-slow", ids);
    expect(run?.predicted_start).toBeNull();
  });
});
