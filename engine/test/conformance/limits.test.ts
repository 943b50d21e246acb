import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRunsOf, type Rig, rig } from "../support/harness.js";

const MB = 1024 * 1024;

/**
 * The limits Inngest enforces, with its numbers and words (pkg/consts, executor/validate.go, httpdriver at
 * 253303c): 1,000 steps per run (`InngestErrFunctionOverflowed`), 4 MB per step output, 8 MB per SDK response
 * (`output_too_large`), on the checkpointing path and on the classic one (one request per step).
 */
describe.each([
  ["checkpointing", true],
  ["classic", false],
])("limits, %s path", (path, checkpointing) => {
  let r: Rig;
  const ran = { huge: 0 };

  beforeAll(async () => {
    r = await rig(
      `lim${checkpointing ? "c" : "p"}`,
      (inngest) => [
        inngest.createFunction({ id: "many", retries: 0, triggers: [{ event: "lim/many" }] }, async ({ step }) => {
          for (let i = 0; i < 1010; i++) await step.run(`s${i}`, () => i);
          return "unreachable";
        }),
        inngest.createFunction({ id: "wide", retries: 0, triggers: [{ event: "lim/wide" }] }, async ({ step }) => {
          await Promise.all(Array.from({ length: 1001 }, (_, i) => step.run(`p${i}`, () => i)));
          return "unreachable";
        }),
        inngest.createFunction({ id: "huge-step", retries: 1, triggers: [{ event: "lim/huge-step" }] }, async ({ step }) => {
          await step.run("big", () => {
            ran.huge++;
            return "x".repeat(5 * MB);
          });
          return "unreachable";
        }),
        inngest.createFunction({ id: "huge-body", retries: 0, triggers: [{ event: "lim/huge-body" }] }, async () => "y".repeat(9 * MB)),
        inngest.createFunction({ id: "fits", retries: 0, triggers: [{ event: "lim/fits" }] }, async ({ step }) => {
          const a = await step.run("almost-4mb", () => "z".repeat(4 * MB - 16));
          return a.length;
        }),
      ],
      { checkpointing },
    );
  }, 60_000);
  afterAll(async () => r?.stop());

  const endOf = async (name: string, fn: string, timeoutMs = 60_000, data: Record<string, unknown> = {}) => {
    const { ids } = await r.client.send({ name, data });
    const [run] = await endedRunsOf(r.engine, `${r.client.id}-${fn}`, ids, timeoutMs);
    return run;
  };

  // Sequential steps on the classic path are one request each, every one replaying all earlier steps: 1,000 take
  // over two minutes here (and large parallel waves hit the SDK's own step-not-found timer), so the sequential
  // limit is shown where the SDK runs steps inline; both paths share the check in runs/ops.ts, and the classic
  // path is shown by the plan-too-wide case below.
  it.runIf(checkpointing)(
    "fails a run at its 1,000th step with InngestErrFunctionOverflowed",
    async () => {
      const run = await endOf("lim/many", "many", 120_000);
      expect(run?.status).toBe("Failed");
      expect(run?.error).toMatchObject({
        name: "InngestErrFunctionOverflowed",
        message: "The function run exceeded the step limit of 1000 steps.",
      });
      const completed = (run?.steps ?? []).filter((s) => s.kind === "step" && s.status === "completed");
      expect(completed.length).toBe(1000);
    },
    150_000,
  );

  it("fails a run that plans more than 1,000 steps at once", async () => {
    const run = await endOf("lim/wide", "wide");
    expect(run?.status).toBe("Failed");
    expect(run?.error).toMatchObject({ name: "InngestErrFunctionOverflowed" });
  }, 90_000);

  it("refuses a step output over 4 MB as an error of the request, retried, and records no output", async () => {
    const before = ran.huge;
    const run = await endOf("lim/huge-step", "huge-step");
    expect(run?.status).toBe("Failed");
    expect(String((run?.error as { message?: string })?.message)).toMatch(
      /^error validating generator opcode [0-9a-f]+: step output size is greater than the limit$/,
    );
    expect(ran.huge - before).toBe(2); // the first attempt and its one retry
    expect((run?.steps ?? []).some((s) => s.status === "completed")).toBe(false);
  }, 90_000);

  it("answers a response body over 8 MB with output_too_large", async () => {
    const run = await endOf("lim/huge-body", "huge-body");
    expect(run?.status).toBe("Failed");
    expect(run?.error).toMatchObject({ name: "output_too_large", message: "Your function's response body exceeds the maximum size limit" });
  }, 90_000);

  it("takes a step output just under 4 MB (" + path + ")", async () => {
    const run = await endOf("lim/fits", "fits");
    expect(run?.status).toBe("Completed");
    expect(run?.output).toBe(4 * MB - 16);
  }, 90_000);
});
