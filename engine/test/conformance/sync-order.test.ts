import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine.js";
import { startEngine } from "../support/harness.js";
import { createClient, startApp, type TestApp } from "../support/sdk-app.js";

/**
 * One app served at two addresses, as when `npm run dev` synced Next.js's /api/inngest and `npm start` then serves
 * the same app from its functions worker: the URL the engine was started with (`addUrl`) is synced last and is the
 * app's address afterwards, whatever older address the database still holds.
 */
describe("syncing every known app URL", () => {
  let engine: Engine;
  let older: TestApp;
  let current: TestApp;

  beforeAll(async () => {
    engine = await startEngine();
    const fn = (client: ReturnType<typeof createClient>) =>
      client.createFunction({ id: "noop", retries: 0, triggers: [{ event: "twice/go" }] }, async () => "ok");
    const olderClient = createClient("twice", engine.url);
    older = await startApp(olderClient, [fn(olderClient)]);
    const currentClient = createClient("twice", engine.url);
    current = await startApp(currentClient, [fn(currentClient)]);
  });

  afterAll(async () => {
    await older?.close();
    await current?.close();
    await engine?.stop(1000);
  });

  it("leaves the app at the URL given at start, synced after the stored one", async () => {
    expect((await engine.apps.syncUrl(older.url)).ok).toBe(true);
    engine.apps.addUrl(current.url);
    const synced = await engine.apps.syncAll();
    expect(synced.map((s) => s.url)).toEqual([older.url, current.url]);
    const apps = (await (await fetch(`${engine.url}/v1/apps`)).json()) as { data: Array<{ id: string; url: string }> };
    expect(apps.data.find((a) => a.id === "twice")?.url).toBe(current.url);
  });
});
