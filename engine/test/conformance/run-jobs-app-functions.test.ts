import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Rig, rig, runsOf } from "../support/harness.js";

/**
 * Two management routes an Inngest REST client calls (pkg/api/apiv1/apiv1.go at 253303c): `GET /v1/runs/:id/jobs`
 * (the run's queued work as queue.JobResponse, in Inngest's envelope) and `GET /v1/apps/:app/functions` (a bare
 * array of cqrs.Function).
 */
describe("GET /v1/runs/:id/jobs and GET /v1/apps/:app/functions", () => {
  let r: Rig;

  beforeAll(async () => {
    r = await rig("rjf", (inngest) => [
      inngest.createFunction({ id: "napper", name: "Napper", triggers: [{ event: "rjf/go" }] }, async ({ step }) => {
        await step.sleep("nap", "1h");
        return "woke";
      }),
    ]);
  });
  afterAll(async () => r?.stop());

  it("lists a sleeping run's wake-up as its one job", async () => {
    await r.client.send({ name: "rjf/go", data: {} });
    // Once the start request has answered, the run's one job is the sleep's wake-up.
    const runId = await until("the run asleep, its wake-up queued", async () => {
      const [run] = await runsOf(r.engine, "rjf-napper", "Running");
      const jobs = run ? await (await fetch(`${r.engine.url}/v1/runs/${run.run_id}/jobs`)).json() : undefined;
      return jobs?.data?.[0]?.kind === "sleep" && (run?.run_id as string);
    });
    const res = await fetch(`${r.engine.url}/v1/runs/${runId}/jobs`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.data).toEqual([{ JobID: expect.any(String), at: expect.any(String), position: 0, kind: "sleep", attempt: 0, Raw: null }]);
    expect(Date.parse(body.data[0].at) - Date.now()).toBeGreaterThan(3_500_000);
    expect(typeof body.metadata.cached_until).toBe("string");
    await r.engine.api.runs.cancel(runId);
    expect((await (await fetch(`${r.engine.url}/v1/runs/${runId}/jobs`)).json()).data).toEqual([]);
    expect((await fetch(`${r.engine.url}/v1/runs/not-a-run/jobs`)).status).toBe(400);
    expect((await fetch(`${r.engine.url}/v1/runs/01ARZ3NDEKTSV4RRFFQ69G5FAV/jobs`)).status).toBe(404);
  });

  it("lists an app's functions as a bare array, and none for an unknown app", async () => {
    const res = await fetch(`${r.engine.url}/v1/apps/rjf/functions`);
    expect(res.status).toBe(200);
    const fns = await res.json();
    expect(fns).toEqual([
      expect.objectContaining({ id: "rjf-napper", name: "Napper", app_id: "rjf", config: expect.objectContaining({ id: "rjf-napper" }) }),
    ]);
    expect(await (await fetch(`${r.engine.url}/v1/apps/nope/functions`)).json()).toEqual([]);
  });
});
