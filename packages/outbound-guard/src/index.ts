/**
 * Outbound requests made for a user (webhooks, step.fetch, alert posts) must not reach the machine they run on or
 * its private network: the engine's API, the database, a cloud metadata service. The check happens where the
 * socket is opened, on the address actually dialled: a name is resolved here, every address it resolves to is
 * checked, and the connection goes to the checked address (so a DNS answer cannot change between check and use,
 * and every redirect hop is checked too, since each hop opens its own connection through this connector).
 *
 * Only globally routable unicast addresses pass (ipaddr.js's range "unicast"); loopback, private (RFC 1918, ULA),
 * link-local (169.254/16 incl. cloud metadata), carrier-grade NAT, multicast, reserved and IPv6 ranges that embed
 * IPv4 addresses are refused. An allow-list lets development reach chosen local services.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import { Agent, buildConnector } from "undici";

/** Why a destination was refused; `code` lets callers treat it as final (retrying cannot help). */
export class OutboundRefusedError extends Error {
  readonly code = "OUTBOUND_REFUSED";
  constructor(message: string) {
    super(message);
    this.name = "OutboundRefusedError";
  }
}

/** One allow-list entry: a host name, an address or a CIDR range, optionally limited to one port. */
interface AllowRule {
  text: string;
  host?: string;
  range?: [ipaddr.IPv4 | ipaddr.IPv6, number];
  port?: number;
}

export interface OutboundPolicy {
  readonly rules: readonly AllowRule[];
  /** Where an operator adds an entry (named in refusals), e.g. "OUTBOUND_ALLOW" or "--allow-outbound". */
  readonly setting: string;
}

/** ipaddr.js range names as people say them. */
const RANGE_NAMES: Record<string, string> = {
  loopback: "loopback",
  private: "private-network",
  linkLocal: "link-local (incl. cloud metadata)",
  uniqueLocal: "private-network (IPv6 unique-local)",
  carrierGradeNat: "carrier-grade NAT",
  unspecified: "unspecified",
  broadcast: "broadcast",
  multicast: "multicast",
  reserved: "reserved",
  ipv4Mapped: "IPv4-mapped",
};

function splitPort(entry: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1] as string, port: bracketed[2] ? Number(bracketed[2]) : undefined };
  const m = /^([^:/]+(?:\/\d+)?):(\d+)$/.exec(entry);
  if (m) return { host: m[1] as string, port: Number(m[2]) };
  return { host: entry };
}

/**
 * Parses allow-list entries such as `localhost:4000`, `127.0.0.1`, `10.0.0.0/8`, `[::1]:8080` or `hooks.internal`.
 * Throws naming the first entry that is none of those.
 */
export function outboundPolicy(entries: readonly string[] = [], setting = "the outbound allow-list"): OutboundPolicy {
  const rules = entries
    .map((e) => e.trim())
    .filter(Boolean)
    .map((text): AllowRule => {
      const { host, port } = splitPort(text);
      if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65_535)) {
        throw new Error(`outbound allow-list entry "${text}": port must be 1-65535`);
      }
      if (host.includes("/")) {
        try {
          return { text, range: ipaddr.parseCIDR(host), port };
        } catch {
          throw new Error(`outbound allow-list entry "${text}" is not a host name, address or CIDR range such as 10.0.0.0/8`);
        }
      }
      if (ipaddr.isValid(host)) return { text, range: [ipaddr.parse(host), host.includes(":") ? 128 : 32], port };
      if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(host)) {
        throw new Error(`outbound allow-list entry "${text}" is not a host name, address or CIDR range`);
      }
      return { text, host: host.toLowerCase(), port };
    });
  return { rules, setting };
}

/**
 * The address in the form its range is judged by: IPv4-mapped IPv6 (::ffff:127.0.0.1) and the deprecated
 * IPv4-compatible form (::127.0.0.1, which URLs write as [::7f00:1] and ipaddr.js calls plain unicast) count as the
 * IPv4 address they carry; `::` and `::1` keep their own ranges.
 */
function normalise(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const parsed = ipaddr.parse(address);
  if (parsed.kind() !== "ipv6") return parsed;
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  const [a, b, c, d, e, f, g = 0, h = 0] = v6.parts;
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0 && (g !== 0 || h > 1)) {
    return ipaddr.fromByteArray([g >> 8, g & 0xff, h >> 8, h & 0xff]) as ipaddr.IPv4;
  }
  return parsed;
}

function allowed(policy: OutboundPolicy, hostname: string, addr: ipaddr.IPv4 | ipaddr.IPv6, port: number): boolean {
  const name = hostname.toLowerCase();
  return policy.rules.some((r) => {
    if (r.port !== undefined && r.port !== port) return false;
    if (r.host) return r.host === name;
    const [net, bits] = r.range as [ipaddr.IPv4 | ipaddr.IPv6, number];
    return net.kind() === addr.kind() && addr.match(net, bits);
  });
}

/**
 * Throws OutboundRefusedError unless `address` (already resolved) is public or allow-listed. `hostname` is the name
 * the user gave, so that an allow-list entry naming a host matches it.
 */
export function assertDestination(policy: OutboundPolicy, hostname: string, address: string, port: number): void {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = normalise(address);
  } catch {
    throw new OutboundRefusedError(`outbound request to ${hostname} refused: "${address}" is not an IP address`);
  }
  if (allowed(policy, hostname, addr, port)) return;
  const range = addr.range();
  if (range === "unicast") return;
  const shown = hostname === address ? address : `${hostname} (${address})`;
  throw new OutboundRefusedError(
    `outbound request to ${shown} refused: ${RANGE_NAMES[range] ?? range} addresses are not reachable from jobs (allow one for development with ${policy.setting})`,
  );
}

const defaultPort = (protocol: string) => (protocol === "https:" ? 443 : 80);

/**
 * What can be said without DNS: a URL naming a refused address literally, or `localhost`, is refused with the reason
 * (for a 400 when the job is created); undefined when it may be fine. The connect-time check stays the real guard.
 */
export function refusedUrl(policy: OutboundPolicy, url: URL): string | undefined {
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port) || defaultPort(url.protocol);
  const literal = isIP(hostname) ? hostname : /^localhost\.?$|\.localhost\.?$/i.test(hostname) ? "127.0.0.1" : undefined;
  if (!literal) return undefined;
  try {
    assertDestination(policy, hostname, literal, port);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

type Resolver = (hostname: string) => Promise<string[]>;

const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/**
 * An undici connector that resolves the host itself, refuses the connection unless every resolved address passes,
 * and dials the first address (TLS still verifies the original name). `resolve` is replaceable for tests.
 */
export function guardedConnector(policy: OutboundPolicy, resolve: Resolver = systemResolver): buildConnector.connector {
  const connect = buildConnector({});
  return (opts, callback) => {
    const port = Number(opts.port) || defaultPort(opts.protocol);
    const hostname = opts.hostname;
    const addresses = isIP(hostname) ? Promise.resolve([hostname]) : resolve(hostname);
    addresses.then(
      (list) => {
        try {
          if (!list.length) throw new OutboundRefusedError(`outbound request to ${hostname} refused: the name resolves to no address`);
          for (const a of list) assertDestination(policy, hostname, a, port);
        } catch (err) {
          callback(err as Error, null);
          return;
        }
        connect({ ...opts, hostname: list[0] as string, servername: opts.servername ?? (isIP(hostname) ? undefined : hostname) }, callback);
      },
      (err: Error) => callback(err, null),
    );
  };
}

/** A keep-alive undici Agent whose every connection goes through the guard. */
export function guardedAgent(policy: OutboundPolicy, options: Agent.Options = {}, resolve?: Resolver): Agent {
  return new Agent({ ...options, connect: guardedConnector(policy, resolve) });
}

/** The refusal inside an error, however fetch/undici wrapped it (`TypeError: fetch failed` with a `cause`). */
export function outboundRefusal(err: unknown): OutboundRefusedError | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (e.code === "OUTBOUND_REFUSED") return e as unknown as OutboundRefusedError;
  }
  return undefined;
}

/** True when an error (possibly wrapped) is a refused destination. */
export function isOutboundRefused(err: unknown): boolean {
  return outboundRefusal(err) !== undefined;
}
