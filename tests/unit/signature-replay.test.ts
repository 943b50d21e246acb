import { describe, expect, it } from "vitest";
import { SeenSignatures } from "../../server/http/signature-replay.js";

describe("SeenSignatures", () => {
  const sig = (t: number, s = "ab") => `t=${t}&s=${s}`;

  it("takes a signature once until its window has passed", () => {
    let now = 1_000_000_000_000;
    const seen = new SeenSignatures(() => now);
    const t = now / 1000;
    expect(seen.take(sig(t))).toBe(true);
    expect(seen.take(sig(t))).toBe(false);
    expect(seen.take(sig(t, "cd"))).toBe(true);
    now += 5 * 60_000; // still inside the SDK's 5 minutes (and our margin)
    expect(seen.take(sig(t))).toBe(false);
    now += 2 * 60_000; // past them: the SDK refuses it by its time anyway
    expect(seen.take(sig(t))).toBe(true);
  });

  it("forgets a released signature (one the SDK refused), and keeps at most its bound", () => {
    const now = 1_000_000_000_000;
    const seen = new SeenSignatures(() => now, 3);
    expect(seen.take(sig(now / 1000))).toBe(true);
    seen.release(sig(now / 1000));
    expect(seen.take(sig(now / 1000))).toBe(true);
    for (const s of ["1", "2", "3"]) expect(seen.take(sig(now / 1000, s))).toBe(true);
    // The oldest went when the fourth arrived.
    expect(seen.take(sig(now / 1000))).toBe(true);
    expect(seen.take(sig(now / 1000, "3"))).toBe(false);
  });
});
