import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSigningKey } from "../../src/protocol/signing.js";
import { endedRuns, post, type Rig, rig, startEngine } from "../support/harness.js";
import { createClient, startApp, type TestApp } from "../support/sdk-app.js";

const KEY = "signkey-test-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const OTHER = "signkey-test-fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

/** Cloud mode: the SDK verifies the engine's JCS+HMAC signature and signs its own answers. */
describe("request signing", () => {
  let r: Rig;
  let ran = 0;
  beforeAll(async () => {
    r = await rig(
      "signed",
      (inngest) => [
        inngest.createFunction({ id: "work", triggers: [{ event: "s/go" }] }, async ({ event, step }) => {
          const v = await step.run("count", () => {
            ran++;
            return { unicode: "h\u00e9llo \u2603", n: event.data.n };
          });
          await step.sleep("nap", "1s");
          return v;
        }),
      ],
      { signingKey: KEY, eventKeys: ["evt-key-1"] },
      { signingKey: KEY, eventKey: "evt-key-1" },
    );
  });
  afterAll(async () => r?.stop());

  it("syncs and runs a function end to end with signed requests", async () => {
    await r.client.send({ name: "s/go", data: { n: 7, nested: { b: 2, a: 1 } } });
    const [run] = await endedRuns(r.engine, "signed-work", 1);
    expect(run?.status).toBe("Completed");
    expect(run?.output).toEqual({ unicode: "h\u00e9llo \u2603", n: 7 });
    expect(ran).toBe(1);
  });

  it("refuses /fn/register without the hashed signing key", async () => {
    const res = await post(
      `${r.engine.url}/fn/register`,
      { url: "http://127.0.0.1:1/api/inngest", appName: "intruder", functions: [] },
      {
        authorization: `Bearer ${hashSigningKey(OTHER)}`,
      },
    );
    expect(res.status).toBe(401);
  });
});

describe("a bad signature", () => {
  let app: TestApp;
  let ran = 0;
  it("is rejected by the SDK: the step never runs and the run fails", async () => {
    const engine = await startEngine({ signingKey: OTHER });
    const client = createClient("victim", engine.url, { signingKey: KEY, eventKey: "k" });
    const fn = client.createFunction({ id: "work", retries: 1, triggers: [{ event: "v/go" }] }, async ({ step }) => {
      await step.run("never", () => {
        ran++;
      });
    });
    app = await startApp(client, [fn]);
    try {
      // The app's own sync would fail too (wrong key); register its config directly, as a misconfigured engine would hold it.
      const reg = await post(
        `${engine.url}/fn/register`,
        {
          url: app.url,
          appName: "victim",
          functions: [
            {
              id: "victim-work",
              name: "work",
              triggers: [{ event: "v/go" }],
              steps: {
                step: {
                  id: "step",
                  name: "step",
                  runtime: { type: "http", url: `${app.url}?fnId=victim-work&stepId=step` },
                  retries: { attempts: 1 },
                },
              },
            },
          ],
        },
        { authorization: `Bearer ${hashSigningKey(OTHER)}` },
      );
      expect(reg.status).toBe(200);
      await post(`${engine.url}/e/k`, [{ name: "v/go", data: {} }]);
      const [run] = await endedRuns(engine, "victim-work", 1);
      expect(run?.status).toBe("Failed");
      expect(JSON.stringify(run?.error)).toMatch(/nauthori|signature/i);
      expect(ran).toBe(0);
    } finally {
      await app.close();
      await engine.stop(100);
    }
  });
});
