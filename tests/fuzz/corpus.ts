import fc from "fast-check";

/**
 * Hostile values, by hand and generated: the inputs that broke the app and the engine before (NUL, half an emoji,
 * deep nesting, out-of-range numbers and dates, LIKE wildcards) and fast-check's arbitrary strings (any UTF-16
 * code units, lone surrogates included), numbers and JSON.
 */
export const NASTY_STRINGS = [
  "",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "half \ud83d emoji",
  "\udc00x",
  "%",
  "_",
  "%_%",
  "\\",
  '\'; DROP TABLE "Job"; --',
  "x".repeat(300),
  "😀".repeat(2000),
  "../../../etc/passwd",
  "not-a-uuid",
  "00000000-0000-0000-0000-000000000000",
  "99999999999999999999",
  "-1",
  "NaN",
  "+275760-09-13T00:00:00.000Z",
  "0001-01-01T00:00:00Z",
  "99999999999999999999s",
  "1e20",
  "javascript:alert(1)",
  "http://127.0.0.1:8288/v1/runs/cancel",
  "<script>alert(1)</script>",
];

export const NASTY_NUMBERS = [0, -1, 1.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e308, -1e308, 1e20, -0];

export function deepJson(levels: number): string {
  return `${'{"x":'.repeat(levels)}{}${"}".repeat(levels)}`;
}

export const weirdString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
);

export const weirdNumber = fc.oneof(fc.constantFrom(...NASTY_NUMBERS), fc.integer(), fc.double({ noNaN: true }));

const leaf = fc.oneof(weirdString, weirdNumber, fc.boolean(), fc.constant(null));

export const weirdJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.dictionary(weirdString, tie("value"), { maxKeys: 4 }),
})).value;

/** Either a value, or that value under a name the route does not expect, or missing. */
export const weirdField = fc.oneof(weirdJson, fc.constant(undefined));

export const JOB_TYPES = [
  "demo-task",
  "send-welcome-email",
  "deliver-webhook",
  "approval-workflow",
  "process-with-credits",
  "render-report",
  "generate-content",
  "sync-analytics",
];

export const jobType = fc.oneof(fc.constantFrom(...JOB_TYPES), weirdString);
