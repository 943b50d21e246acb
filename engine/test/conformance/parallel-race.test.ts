import { sleep } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRunsOf, type Rig, rig } from "../support/harness.js";

/**
 * `group.parallel({ mode: "race" })`: the run asks for its next steps as soon as the first parallel step ends, as
 * Inngest does (executor.go shouldEnqueueDiscovery at 253303c); the default mode waits for all of them.
 */
describe("group.parallel race mode", () => {
  let r: Rig;
  const log: string[] = [];

  beforeAll(async () => {
    r = await rig("par", (inngest) => [
      inngest.createFunction({ id: "race", triggers: [{ event: "par/go" }] }, async ({ event, group, step }) => {
        const mode = event.data.mode as "race" | "wait";
        const winner = await group.parallel({ mode }, () =>
          Promise.race([
            step.run("fast", () => "fast"),
            step.run("slow", async () => {
              await sleep(2500); // the slow step: still running when the race is decided
              log.push(`${mode}:slow ended`);
              return "slow";
            }),
          ]),
        );
        await step.run("after", () => {
          log.push(`${mode}:after ran`);
        });
        return winner;
      }),
    ]);
  });
  afterAll(async () => r?.stop());

  it("race: the step after the group runs while the slow one is still going", async () => {
    const { ids } = await r.client.send({ name: "par/go", data: { mode: "race" } });
    const [run] = await endedRunsOf(r.engine, "par-race", ids);
    expect(run?.status).toBe("Completed");
    expect(run?.output).toBe("fast");
    expect(log.filter((l) => l.startsWith("race:"))).toEqual(["race:after ran", "race:slow ended"]);
  });

  it("wait (the default): the next step waits for every parallel step", async () => {
    const { ids } = await r.client.send({ name: "par/go", data: { mode: "wait" } });
    const [run] = await endedRunsOf(r.engine, "par-race", ids);
    expect(run?.status).toBe("Completed");
    expect(log.filter((l) => l.startsWith("wait:"))).toEqual(["wait:slow ended", "wait:after ran"]);
  });
});
