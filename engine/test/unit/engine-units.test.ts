/** Small pure pieces of the engine: durations, ids, cron, function configs, step timing, predicted starts, exact storage. */
import { parseStoredJson, restoredString, storableJsonExact, storableString } from "@jobdeck/safe-json";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { slotWait } from "../../src/api/predict.js";
import { parseCron } from "../../src/cron.js";
import { ConfigError, defineFunction } from "../../src/registry.js";
import { parseDeadline, parseDuration } from "../../src/util/duration.js";
import { parseSeed, ulid, ulidFromSeed, ulidTime } from "../../src/util/ulid.js";

describe("durations", () => {
  it("parses Inngest duration strings", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("2d")).toBe(172_800_000);
    expect(parseDuration("1w")).toBe(604_800_000);
    expect(parseDuration("30")).toBe(30_000);
    expect(() => parseDuration("soon")).toThrow('invalid duration "soon"');
    const now = Date.parse("2029-06-01T00:00:00Z");
    expect(parseDeadline("2030-01-01T00:00:00Z", now)).toBe(Date.parse("2030-01-01T00:00:00Z"));
    // Past deadlines are now, and nothing lies more than a year ahead (as on Inngest).
    expect(parseDeadline("2000-01-01T00:00:00Z", now)).toBe(now);
    expect(parseDeadline("99999999999999999999s", now)).toBe(now + 366 * 86_400_000);
    expect(parseDeadline("+275760-09-13T00:00:00.000Z", now)).toBe(now + 366 * 86_400_000);
  });
});

describe("ULIDs", () => {
  it("derives event ids from the SDK seed, one per index, identical on retry", () => {
    const seed = parseSeed("1795451296869,e9tDm0k3Y151RQ==");
    expect(seed).not.toBeNull();
    const a = ulidFromSeed(seed!, 0);
    expect(ulidFromSeed(seed!, 0)).toBe(a);
    expect(ulidFromSeed(seed!, 1)).not.toBe(a);
    expect(ulidTime(a)).toBe(1795451296869);
    expect(parseSeed("garbage")).toBeNull();
  });
  it("is monotonic within a millisecond", () => {
    const ids = Array.from({ length: 1000 }, () => ulid(1_700_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
  });
});

describe("cron", () => {
  it("honours TZ= prefixes and @every", () => {
    const paris = parseCron("TZ=Europe/Paris 0 9 * * 1");
    expect(new Date(paris.next(Date.parse("2026-11-23T12:00:00Z"))).toISOString()).toBe("2026-11-30T08:00:00.000Z");
    const every = parseCron("@every 30s");
    expect(every.next(Date.parse("2026-01-01T00:00:10Z"))).toBe(Date.parse("2026-01-01T00:00:30Z"));
    expect(() => parseCron("* * *")).toThrow("5 fields");
  });
});

describe("function configs", () => {
  const base = {
    id: "app-f",
    name: "f",
    steps: { step: { id: "step", name: "step", runtime: { type: "http", url: "http://x/api/inngest?fnId=app-f&stepId=step" } } },
  };
  it("maps retries and concurrency", () => {
    const def = defineFunction("app", {
      ...base,
      triggers: [{ event: "a/b" }],
      concurrency: [{ limit: 2, key: "event.data.u" }, { limit: 5 }],
    });
    expect(def.maxAttempts).toBe(5);
    expect(def.concurrency).toEqual([
      { limit: 2, scope: "fn", key: "event.data.u" },
      { limit: 5, scope: "fn", key: undefined },
    ]);
  });
  it("names the bad field", () => {
    expect(() => defineFunction("app", { ...base, triggers: [{ event: "a/b" }], throttle: { limit: 1, period: "forever" } })).toThrow(
      'function "app-f": throttle.period: invalid duration "forever"',
    );
    expect(() => defineFunction("app", { ...base, triggers: [{ cron: "0 * * * *" }, { cron: "0 * * * *" }] })).toThrow(ConfigError);
    expect(() => defineFunction("app", { ...base, triggers: [{ event: "a" }], concurrency: { limit: 1, scope: "env" } })).toThrow(
      "needs a key",
    );
  });
});

describe("step timing", () => {
  it("reads the SDK's Go interval (start and duration in nanoseconds)", async () => {
    const { opTiming } = await import("../../src/runs/ops.js");
    expect(opTiming({ id: "x", op: "StepRun", timing: { a: 1_700_000_000_000 * 1e6, b: 250 * 1e6 } } as never)).toEqual({
      a: 1_700_000_000_000,
      b: 1_700_000_000_250,
    });
    expect(opTiming({ id: "x", op: "StepRun" } as never)).toBeUndefined();
  });
});

describe("predicted start: when a key's slots free", () => {
  it("counts a holder's remaining median time, then one median per run ahead", () => {
    // 2 slots, held since 1 s ago with a 3 s median: both free in 2 s; one run ahead takes the first, we get the second.
    expect(slotWait(2, [9_000, 9_000], 1, 3_000, 10_000)).toBe(2_000);
    expect(slotWait(1, [9_000], 2, 3_000, 10_000)).toBe(8_000);
    // A free slot: now.
    expect(slotWait(2, [9_000], 0, 3_000, 10_000)).toBe(0);
  });

  it("does not read a holder running past the median as about to end", () => {
    // Held for 8 s with a median of 0.1 s: expected to run about as long again, not to end this instant.
    expect(slotWait(1, [2_000], 0, 100, 10_000)).toBe(8_000);
  });
});

describe("exact storage of strings jsonb cannot hold", () => {
  const odd = ["a\u0000b", "\u0000", "cut \ud83d", "\ude00 x", "\uffff", "\uffff0", "\uffffu0041", "x\uffffy", "\ud83d\ude00", ""];
  /** What jsonb refuses in JSON text: the NUL escape and an escaped (so unpaired) surrogate. */
  const refused = /\\u0000|\\ud[89a-f]/i;

  it("round-trips every string, and leaves the ordinary ones as they are", () => {
    for (const s of odd) expect(restoredString(storableString(s))).toBe(s);
    for (const s of ["plain", "x\uffffy", "\ud83d\ude00", "a\\u0000b"]) expect(storableString(s)).toBe(s);
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(restoredString(storableString(s))).toBe(s);
        expect(JSON.stringify(storableString(s))).not.toMatch(refused);
      }),
    );
  });

  it("decodes only what it encoded: a string written by something else stays as it is", () => {
    for (const s of ["\uffffabc", "\uffff", "\uffff\uffff", "\uffffu0041"]) expect(restoredString(s)).toBe(s);
  });

  it("writes JSON text jsonb takes, keys included, and reads it back exactly", () => {
    const value = { "k\u0000": ["a\u0000b", { deep: "\udc00" }], plain: "x", n: 1, when: new Date(0), gone: undefined };
    const text = storableJsonExact(value);
    expect(text).not.toMatch(refused);
    expect(parseStoredJson(text)).toEqual(JSON.parse(JSON.stringify(value)));
    expect(storableJsonExact({ plain: "x" })).toBe('{"plain":"x"}');
    expect(storableJsonExact(undefined)).toBe("null");
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: "binary" }), (v, s) => {
        const doc = { v, s, [s]: v };
        expect(storableJsonExact(doc)).not.toMatch(refused);
        expect(parseStoredJson(storableJsonExact(doc))).toEqual(JSON.parse(JSON.stringify(doc)));
      }),
    );
  });
});
