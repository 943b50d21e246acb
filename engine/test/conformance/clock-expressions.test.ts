import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRunsOf, type Rig, rig } from "../support/harness.js";
import { JumpClock } from "../support/jump-clock.js";

/**
 * CEL's now() is the engine's clock (expr/cel.ts): a trigger `if` that compares an event with now() is decided on the
 * time the engine keeps, so a test that moves the clock reaches it, as it reaches sleeps and timeouts.
 */
describe("now() in expressions follows the engine's clock", () => {
  let r: Rig;
  const clock = new JumpClock();

  beforeAll(async () => {
    r = await rig(
      "clk",
      (inngest) => [
        inngest.createFunction(
          { id: "overdue", triggers: [{ event: "clk/check", if: "now() > int(event.data.deadline) * 1000000" }] },
          async ({ event }) => event.data.deadline,
        ),
      ],
      { clock },
    );
  });
  afterAll(async () => r?.stop());

  it("filters an event before its deadline and runs the same event once the clock has passed it", async () => {
    const deadline = clock.now() + 3_600_000;
    await r.client.send({ name: "clk/check", data: { deadline } });
    // Decided before the event API answered: the `if` did not match, so no run.
    expect(r.decisions.created("clk-overdue")).toHaveLength(0);
    const [early] = (await r.engine.api.events.list({ name: "clk/check" })).data;
    expect(early?.fate).toEqual([{ function_id: "clk-overdue", outcome: "filtered", reason: "if_not_matched" }]);

    clock.advance(3_600_000 + 1000);
    const { ids } = await r.client.send({ name: "clk/check", data: { deadline } });
    expect(r.decisions.created("clk-overdue")).toHaveLength(1);
    const [run] = await endedRunsOf(r.engine, "clk-overdue", ids);
    expect(run?.output).toBe(deadline);
  });
});
