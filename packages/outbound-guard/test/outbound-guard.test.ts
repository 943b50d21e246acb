import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertDestination, guardedAgent, isOutboundRefused, outboundPolicy, refusedUrl } from "../src/index.js";

const none = outboundPolicy([], "TEST_ALLOW");

describe("assertDestination", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.8.9.10", "loopback"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["10.1.2.3", "private-network"],
    ["172.16.0.1", "private-network"],
    ["192.168.1.1", "private-network"],
    ["169.254.169.254", "link-local"],
    ["fe80::1", "link-local"],
    ["fd00:ec2::254", "unique-local"],
    ["100.100.100.200", "carrier-grade NAT"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["2002:7f00:1::", "6to4"],
    // The deprecated IPv4-compatible form (what a URL's [::127.0.0.1] becomes) is judged by the IPv4 address it carries.
    ["::7f00:1", "loopback"],
    ["::a9fe:a9fe", "link-local"],
    ["::a00:1", "private-network"],
    ["::2", "unspecified"],
  ])("refuses %s (%s)", (address, what) => {
    expect(() => assertDestination(none, "h.example", address, 80)).toThrow(what);
    expect(() => assertDestination(none, "h.example", address, 80)).toThrow("TEST_ALLOW");
  });

  it.each(["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])("lets the public address %s through", (address) => {
    expect(() => assertDestination(none, "h.example", address, 443)).not.toThrow();
  });

  it("lets allow-listed hosts, addresses, ranges and ports through, and only those", () => {
    const p = outboundPolicy(["localhost:4000", "10.0.0.0/8", "[::1]:9000", "hooks.internal"]);
    expect(() => assertDestination(p, "localhost", "127.0.0.1", 4000)).not.toThrow();
    expect(() => assertDestination(p, "localhost", "127.0.0.1", 8288)).toThrow(/loopback/);
    expect(() => assertDestination(p, "x", "10.9.8.7", 5432)).not.toThrow();
    expect(() => assertDestination(p, "x", "::1", 9000)).not.toThrow();
    expect(() => assertDestination(p, "x", "::1", 9001)).toThrow();
    expect(() => assertDestination(p, "hooks.internal", "192.168.0.5", 80)).not.toThrow();
    expect(() => assertDestination(p, "other.internal", "192.168.0.5", 80)).toThrow();
  });

  it("rejects allow-list entries that are not hosts, addresses or ranges", () => {
    expect(() => outboundPolicy(["10.0.0.0/99"])).toThrow(/not a host name, address or CIDR/);
    expect(() => outboundPolicy(["http://x"])).toThrow(/not a host/);
    expect(() => outboundPolicy(["localhost:99999"])).toThrow(/port/);
  });

  it("judges literal URLs without DNS, and leaves names to connect time", () => {
    expect(refusedUrl(none, new URL("http://127.0.0.1:8288/v1/runs/cancel"))).toMatch(/loopback/);
    expect(refusedUrl(none, new URL("http://[::1]/"))).toMatch(/loopback/);
    expect(refusedUrl(none, new URL("http://[::127.0.0.1]:8200/"))).toMatch(/loopback/);
    expect(refusedUrl(none, new URL("http://api.localhost/"))).toMatch(/loopback/);
    expect(refusedUrl(none, new URL("http://169.254.169.254/latest/meta-data"))).toMatch(/link-local/);
    expect(refusedUrl(none, new URL("https://example.com/hook"))).toBeUndefined();
  });
});

describe("guardedAgent", () => {
  let server: Server;
  let port = 0;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === "/redirect") {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/secret` }).end();
        return;
      }
      res.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  const fakeDns = async (name: string) =>
    ({ "rebind.example": ["127.0.0.1"], "mixed.example": ["93.184.216.34", "10.0.0.1"], "peer.test": ["127.0.0.1"] })[name] ?? [];

  it("refuses a name that resolves to loopback (DNS rebinding) before connecting", async () => {
    const agent = guardedAgent(none, {}, fakeDns);
    const before = hits;
    const err = await request(`http://rebind.example:${port}/`, { dispatcher: agent }).catch((e) => e);
    expect(isOutboundRefused(err)).toBe(true);
    expect((err as Error).message).toMatch(/rebind\.example \(127\.0\.0\.1\).*loopback/);
    expect(hits).toBe(before);
    await agent.close();
  });

  it("refuses a name if any of its addresses is private", async () => {
    const agent = guardedAgent(none, {}, fakeDns);
    const err = await request(`http://mixed.example:${port}/`, { dispatcher: agent }).catch((e) => e);
    expect(isOutboundRefused(err)).toBe(true);
    await agent.close();
  });

  it("connects to an allow-listed name at the address it resolved, and refuses where a redirect leads", async () => {
    const agent = guardedAgent(outboundPolicy([`peer.test:${port}`]), {}, fakeDns);
    const ok = await request(`http://peer.test:${port}/`, { dispatcher: agent });
    expect(await ok.body.text()).toBe("ok");
    const { interceptors } = await import("undici");
    const following = agent.compose(interceptors.redirect({ maxRedirections: 3 }));
    const before = hits;
    const err = await request(`http://peer.test:${port}/redirect`, { dispatcher: following }).catch((e) => e);
    expect(isOutboundRefused(err)).toBe(true);
    expect(hits).toBe(before + 1); // the redirect itself, not its target
    await agent.close();
  });
});
