/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and says where the busy time went: self time per function and per
 * owner (a package in node_modules, the engine's own source, Node's internals, garbage collection, idle).
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  byOwner: { owner: string; ms: number; share: number }[];
  byFunction: { fn: string; ms: number; share: number }[];
}

/** Who a frame belongs to: the npm package that holds it, the repo's own folders, or what V8 calls it. */
export function ownerOf(url: string, functionName: string): string {
  if (functionName === "(garbage collector)") return "(garbage collection)";
  if (functionName === "(idle)" || functionName === "(program)" || functionName === "(root)") return functionName;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith("node:") || url === "") return "node internals";
  const own = /\/(engine\/src\/[^/]+|engine\/bench|inngest|server\/[^/]+|packages\/[^/]+)\//.exec(url);
  return own ? (own[1] as string) : "other";
}

export function summarizeProfile(file: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const owners = new Map<string, number>();
  const fns = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, ms] of self) {
    const { callFrame } = byId.get(id) as ProfileNode;
    totalMs += ms;
    const owner = ownerOf(callFrame.url, callFrame.functionName);
    if (owner === "(idle)") {
      idleMs += ms;
      continue;
    }
    owners.set(owner, (owners.get(owner) ?? 0) + ms);
    const where = callFrame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(engine|bench|inngest|server|packages)\//, "$1/");
    const fn = `${callFrame.functionName || "(anonymous)"} ${where}:${callFrame.lineNumber + 1}`;
    fns.set(fn, (fns.get(fn) ?? 0) + ms);
  }
  const busy = totalMs - idleMs;
  const rank = <K extends string>(m: Map<string, number>, key: K) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([name, ms]) =>
          ({ [key]: name, ms: Math.round(ms), share: Math.round((ms / busy) * 1000) / 10 }) as { [P in K]: string } & {
            ms: number;
            share: number;
          },
      );
  return { totalMs, idleMs, byOwner: rank(owners, "owner"), byFunction: rank(fns, "fn") };
}
