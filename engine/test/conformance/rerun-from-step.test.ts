import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRuns, post, type Rig, rig } from "../support/harness.js";

/**
 * Rerun from a step (`POST /v1/runs/:id/replay {from_step}`), as Inngest Cloud offers it: a new run of the same
 * event where the steps recorded before the chosen one come from the original run and are not executed again,
 * while the chosen step and every later one are.
 */
describe("rerun from a step", () => {
  let r: Rig;
  const executed: Record<string, number> = {};
  let failThird = true;

  beforeAll(async () => {
    r = await rig("rr", (inngest) => [
      inngest.createFunction({ id: "four", retries: 0, triggers: [{ event: "rr/go" }] }, async ({ event, step }) => {
        const run = (id: string, f: () => unknown) =>
          step.run(id, () => {
            executed[id] = (executed[id] ?? 0) + 1;
            return f();
          });
        const a = await run("s1", () => `a${executed.s1}`);
        const b = await run("s2", () => `b${executed.s2}`);
        const c = await run("s3", () => {
          if (failThird) throw new Error("third step broke");
          return "c";
        });
        const d = await run("s4", () => "d");
        return { a, b, c, d, n: (event.data as { n: number }).n };
      }),
    ]);
  });
  afterAll(async () => r?.stop());

  const replay = (runId: string, body: unknown) => post(`${r.engine.url}/v1/runs/${runId}/replay`, body);

  it("reruns a failed run from its failed step: earlier steps are reused, that step and later ones execute", async () => {
    await r.client.send({ name: "rr/go", data: { n: 7 } });
    const [failed] = await endedRuns(r.engine, "rr-four", 1);
    expect(failed?.status).toBe("Failed");
    expect(executed).toEqual({ s1: 1, s2: 1, s3: 1 });

    failThird = false;
    const res = await replay(failed?.run_id as string, { from_step: "s3" });
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({ replay_of: failed?.run_id, from_step: "s3", steps_reused: 2 });
    const runs = await endedRuns(r.engine, "rr-four", 2);
    const rerun = runs.find((x) => x.run_id === res.json.data.run_id);
    expect(rerun?.status).toBe("Completed");
    expect(rerun?.output).toEqual({ a: "a1", b: "b1", c: "c", d: "d", n: 7 });
    expect(executed).toEqual({ s1: 1, s2: 1, s3: 2, s4: 1 });
    // The reused steps are in the new run's trace, marked with the run they came from.
    const reused = rerun?.steps.filter((s) => (s.detail as { from_run?: string } | null)?.from_run === failed?.run_id);
    expect(reused?.map((s) => s.name).sort()).toEqual(["s1", "s2"]);
  });

  it("takes the step by its id or by the SDK's hash of it", async () => {
    const [, first] = await endedRuns(r.engine, "rr-four", 2);
    const hash = createHash("sha1").update("s2").digest("hex");
    const res = await replay(first?.run_id as string, { from_step: hash });
    expect(res.json.data.steps_reused).toBe(1);
    const runs = await endedRuns(r.engine, "rr-four", 3);
    expect(runs.find((x) => x.run_id === res.json.data.run_id)?.output).toEqual({ a: "a1", b: "b2", c: "c", d: "d", n: 7 });
    expect(executed).toEqual({ s1: 1, s2: 2, s3: 3, s4: 2 });
  });

  it("refuses a step the run never recorded, and an unknown field, naming them", async () => {
    const [any] = await endedRuns(r.engine, "rr-four", 1);
    const res = await replay(any?.run_id as string, { from_step: "s9" });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/from_step: run \w+ has no recorded step "s9" \(its steps: .*s1/);
    expect((await replay(any?.run_id as string, { from: "s1" })).status).toBe(400);
    expect((await replay("01J00000000000000000000000", { from_step: "s1" })).status).toBe(404);
  });
});
