import { describe, expect, it } from "vitest";
import { errorGroupKey, placeErrors } from "../../components/jobs/error-view.js";

const failure = (attempt: number) => ({
  name: "Error",
  message: `simulated failure at step 2 (attempt ${attempt})`,
  stack: `Error: simulated failure at step 2 (attempt ${attempt})\n    at inngest/jobs/demo-task.ts:67:21`,
});

describe("placeErrors", () => {
  it("shows one error repeated over tries once, with where it happened", () => {
    const rows = [1, 2, 3].map((n) => ({ id: `s${n}`, error: failure(n), label: `step-2 (try ${n})` }));
    rows.push({ id: "other", error: { name: "TypeError", message: "x is undefined", stack: "" } as never, label: "step-3 (try 1)" });
    const { placements, aboveSeenOn } = placeErrors(rows);
    expect(placements.get("s1")).toEqual({ show: "full", seenOn: ["step-2 (try 1)", "step-2 (try 2)", "step-2 (try 3)"] });
    expect(placements.get("s2")).toEqual({ show: "same-as", as: "step-2 (try 1)" });
    expect(placements.get("s3")).toEqual({ show: "same-as", as: "step-2 (try 1)" });
    expect(placements.get("other")).toEqual({ show: "full", seenOn: ["step-3 (try 1)"] });
    expect(aboveSeenOn).toEqual([]);
  });

  it("points every row at the error shown above when it is the same, and lists them there", () => {
    const rows = [1, 2].map((n) => ({ id: `s${n}`, error: failure(n), label: `step-2 (try ${n})` }));
    const { placements, aboveSeenOn } = placeErrors(rows, { error: failure(4), label: "the job's error above" });
    expect([...placements.values()]).toEqual([
      { show: "same-as", as: "the job's error above" },
      { show: "same-as", as: "the job's error above" },
    ]);
    expect(aboveSeenOn).toEqual(["step-2 (try 1)", "step-2 (try 2)"]);
  });

  it("tells different errors apart by name, message and stack", () => {
    expect(errorGroupKey(failure(1))).toBe(errorGroupKey(failure(9)));
    expect(errorGroupKey({ ...failure(1), name: "TypeError" })).not.toBe(errorGroupKey(failure(1)));
    expect(errorGroupKey({ ...failure(1), stack: "Error\n    at elsewhere.ts:1:1" })).not.toBe(errorGroupKey(failure(1)));
    expect(errorGroupKey(null)).toBeNull();
  });
});
