import { describe, expect, it } from "vitest";
import { retrySync } from "../../scripts/launcher/retry-sync.js";

/** The launcher's first sync failed: it is tried again, backing off, until the engine knows the app's functions. */
describe("retrySync", () => {
  it("tries again with growing delays until a sync succeeds, an exception counting as a failure", async () => {
    const at: number[] = [];
    const t0 = Date.now();
    const answers = [
      () => Promise.resolve({ ok: false, error: "timed out" }),
      () => Promise.reject(new Error("connect ECONNREFUSED")),
      () => Promise.resolve({ ok: true }),
    ];
    const warned: string[] = [];
    const attempts = await retrySync(
      {
        syncUrl: (url) => {
          expect(url).toBe("http://127.0.0.1:1234/api/inngest");
          at.push(Date.now() - t0);
          return (answers.shift() as () => Promise<{ ok: boolean; error?: string }>)();
        },
      },
      "http://127.0.0.1:1234/api/inngest",
      { info() {}, warn: (obj) => warned.push(String((obj as { error?: string }).error)) },
      20,
      60,
    );
    expect(attempts).toBe(3);
    expect(warned).toEqual(["timed out", "connect ECONNREFUSED"]);
    // 20 ms, then 40, then 60 (capped): each try waits longer than the one before.
    expect(at[1] as number).toBeGreaterThanOrEqual((at[0] as number) + 35);
    expect(at[2] as number).toBeGreaterThanOrEqual((at[1] as number) + 55);
  });
});
