import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { until } from "@jobdeck/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endedRuns, type Rig, rig, runsOf } from "../support/harness.js";

/**
 * step.fetch runs in the engine on the user's behalf: a job that names the engine's own API (or anything else on
 * this machine or its network) must not reach it, however the address is spelled, resolved or redirected to.
 */
describe("step.fetch cannot reach the engine or the local network", () => {
  let r: Rig;
  let peer: Server;
  let peerPort = 0;
  let peerHits = 0;
  let bounceTo = "";
  beforeAll(async () => {
    peer = createServer((_req, res) => {
      peerHits++;
      // An allowed peer that bounces the request to the engine's cancel endpoint.
      res.writeHead(307, { location: bounceTo }).end();
    });
    await new Promise<void>((resolve) => peer.listen(0, "127.0.0.1", resolve));
    peerPort = (peer.address() as AddressInfo).port;
    r = await rig("ssrf", (inngest) => [
      inngest.createFunction({ id: "victim", triggers: [{ event: "s/victim" }] }, async ({ step }) => step.sleep("long", "1h")),
      inngest.createFunction({ id: "fetcher", retries: 0, triggers: [{ event: "s/fetch" }] }, async ({ event, step }) => {
        const res = await step.fetch(event.data.url as string, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ function_id: "ssrf-victim" }),
        });
        return { status: res.status, body: await res.text() };
      }),
    ]);
  });
  afterAll(async () => {
    await r?.stop();
    peer?.close();
  });

  it.each([
    ["the engine's own address", () => `${r.engine.url}/v1/runs/cancel`],
    ["a DNS name resolving to loopback", () => `http://localhost:${new URL(r.engine.url).port}/v1/runs/cancel`],
    ["IPv4-mapped IPv6", () => `http://[::ffff:127.0.0.1]:${new URL(r.engine.url).port}/v1/runs/cancel`],
    ["the cloud metadata address", () => "http://169.254.169.254/latest/meta-data/"],
  ])("refuses %s, fails the step at once and leaves other runs alone", async (_what, url) => {
    await r.client.send({ name: "s/victim", data: {} });
    await until("victim sleeping", async () => (await runsOf(r.engine, "ssrf-victim", "Running")).length > 0);
    const before = (await runsOf(r.engine, "ssrf-fetcher")).length;
    await r.client.send({ name: "s/fetch", data: { url: url() } });
    const runs = await endedRuns(r.engine, "ssrf-fetcher", before + 1);
    const run = runs.at(-1);
    expect(run?.status).toBe("Failed");
    const gateway = run?.steps.filter((s) => s.kind === "gateway") ?? [];
    expect(gateway).toHaveLength(1); // not retried: a refused destination stays refused
    expect(gateway[0]?.error).toMatchObject({ name: "OutboundRefused" });
    expect(JSON.stringify(gateway[0]?.error)).toMatch(/refused/);
    expect((await runsOf(r.engine, "ssrf-victim", "Cancelled")).length).toBe(0);
  });

  it("refuses where an allowed peer's redirect leads", async () => {
    // Development allows one local peer by host and port; the engine on the same address stays out of reach.
    const peerRig = await rig(
      "ssrf2",
      (inngest) => [
        inngest.createFunction({ id: "victim", triggers: [{ event: "s2/victim" }] }, async ({ step }) => step.sleep("long", "1h")),
        inngest.createFunction({ id: "fetcher", retries: 0, triggers: [{ event: "s2/fetch" }] }, async ({ event, step }) => {
          const res = await step.fetch(event.data.url as string, { method: "POST", body: "{}" });
          return { status: res.status };
        }),
      ],
      { outboundAllow: [`127.0.0.1:${peerPort}`] },
    );
    bounceTo = `${peerRig.engine.url}/v1/runs/cancel`;
    try {
      await peerRig.client.send({ name: "s2/victim", data: {} });
      await until("victim sleeping", async () => (await runsOf(peerRig.engine, "ssrf2-victim", "Running")).length > 0);
      const hits = peerHits;
      await peerRig.client.send({ name: "s2/fetch", data: { url: `http://127.0.0.1:${peerPort}/bounce` } });
      const [run] = await endedRuns(peerRig.engine, "ssrf2-fetcher");
      expect(peerHits).toBe(hits + 1);
      expect(run?.status).toBe("Failed");
      expect(JSON.stringify(run?.steps.find((s) => s.kind === "gateway")?.error)).toMatch(/loopback/);
      expect((await runsOf(peerRig.engine, "ssrf2-victim", "Running")).length).toBe(1);
    } finally {
      await peerRig.stop();
    }
  });
});
