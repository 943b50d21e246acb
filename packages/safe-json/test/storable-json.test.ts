import { describe, expect, it } from "vitest";
import { jsonIssue, storableJson } from "../src/index.js";

describe("storableJson", () => {
  it("replaces every NUL and unpaired surrogate, adjacent ones too, and nothing else", () => {
    const value = { a: "\u0000\u0000", b: "x\ud83d\ud83dy", c: "\\u0000 is text", d: "ok 😀", e: "\\\u0000" };
    const text = storableJson(value);
    const back = JSON.parse(text);
    expect(back).toEqual({ a: "\ufffd\ufffd", b: "x\ufffd\ufffdy", c: "\\u0000 is text", d: "ok 😀", e: "\\\ufffd" });
    expect(jsonIssue(back, "")).toBeUndefined();
  });
});
