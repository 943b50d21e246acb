import { describe, expect, it } from "vitest";

/**
 * next.config.ts settings that guard against known failures of the dev server (see the comments there): Turbopack's
 * persistent dev cache restored a snapshot that made a reconnecting tab reload in a loop after `npm run dev` restarts.
 */
describe("next.config.ts", () => {
  it("keeps Turbopack's persistent dev cache off unless JOBDECK_TURBOPACK_DEV_CACHE=1", async () => {
    delete process.env.JOBDECK_TURBOPACK_DEV_CACHE;
    const { default: config } = await import("../../next.config.js");
    expect(config.experimental?.turbopackFileSystemCacheForDev).toBe(false);
  });
});
