import { type ChildProcess, spawn } from "node:child_process";
import { processAlive, sleep, until } from "@jobdeck/test-kit";
import { describe, expect, it } from "vitest";
import { type ChildSpec, type ChildStatus, Supervisor } from "../../scripts/launcher/supervisor.js";

/** The launcher's supervisor on real child processes: restart with backoff, crash loops, probes, stops. */
const quiet = { info() {}, warn() {}, error() {} };

function nodeChild(name: string, code: string, over: Partial<ChildSpec> = {}): ChildSpec {
  return {
    name,
    startTimeoutMs: 10_000,
    stopGraceMs: 500,
    spawn: () => spawn(process.execPath, ["-e", code], { detached: true, stdio: "ignore" }),
    ready: async () => {},
    ...over,
  };
}

function supervisor(over: { maxCrashes?: number; backoffMs?: number; maxBackoffMs?: number } = {}) {
  const changes: ChildStatus[][] = [];
  const fatal: string[] = [];
  const s = new Supervisor({
    maxCrashes: over.maxCrashes ?? 5,
    crashWindowMs: 60_000,
    backoffMs: over.backoffMs ?? 20,
    maxBackoffMs: over.maxBackoffMs ?? 200,
    probeIntervalMs: 50,
    log: quiet,
    onChange: (c) => changes.push(c),
    onFatal: (r) => fatal.push(r),
  });
  return { s, changes, fatal };
}

const alive = processAlive;

const FOREVER = "setInterval(() => {}, 1000)";

describe("Supervisor", () => {
  it("restarts a child killed with SIGKILL and reports why it died", async () => {
    const { s } = supervisor();
    await s.start(nodeChild("worker", FOREVER));
    const first = s.statuses()[0]?.pid as number;
    process.kill(first, "SIGKILL");
    const next = await until("a new process", () => {
      const st = s.statuses()[0];
      return st?.state === "running" && st.pid !== first ? st : undefined;
    });
    expect(next.restarts).toBe(1);
    expect(next.lastExit).toMatchObject({ signal: "SIGKILL", reason: "killed by SIGKILL" });
    await s.stop("worker");
    expect(alive(next.pid as number)).toBe(false);
  });

  it("stops the stack with the reason when a child keeps dying", async () => {
    const { s, fatal, changes } = supervisor({ maxCrashes: 3 });
    // Starts (ready at once), then exits with code 3 a moment later, every time.
    await s.start(nodeChild("crasher", "setTimeout(() => process.exit(3), 30)"));
    await until("the crash-loop verdict", () => fatal.length > 0, 10_000);
    expect(fatal).toEqual(["crasher died 3 times within 60 s (last: exited with code 3)"]);
    // Marked failed, not restarting: no restart is scheduled after the verdict.
    expect(changes.at(-1)?.[0]).toMatchObject({ state: "failed", restarts: 3, pid: null });
    expect(changes.filter((c) => c[0]?.state === "starting")).toHaveLength(3);
  });

  it("waits longer between restarts the more a child has crashed", async () => {
    const { s, changes } = supervisor({ maxCrashes: 6, backoffMs: 100, maxBackoffMs: 300 });
    await s.start(nodeChild("crasher", "setTimeout(() => process.exit(2), 10)"));
    await until("four restarts", () => s.statuses()[0]?.state === "running" && (s.statuses()[0]?.restarts ?? 0) >= 4, 10_000);
    await s.stop("crasher");
    const starts = [...new Set(changes.filter((c) => c[0]?.state === "starting").map((c) => Date.parse(c[0]?.startedAt as string)))];
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    // 100 ms, 200 ms, then the 300 ms cap (400 would be next) of backoff, plus the child's own life and start.
    expect(gaps.slice(0, 4).map((g, i) => g >= Math.min(300, 100 * 2 ** i))).toEqual([true, true, true, true]);
  });

  it("restarts a child whose probe says it stopped serving although its process lives", async () => {
    const { s } = supervisor();
    let serving = true;
    await s.start(nodeChild("server", FOREVER, { alive: async () => serving, deadAfterProbes: 2 }));
    const first = s.statuses()[0]?.pid as number;
    serving = false;
    await until("the probe verdict", () => s.statuses()[0]?.lastExit?.reason.startsWith("stopped serving"), 5_000);
    serving = true;
    await until("running again", () => s.statuses()[0]?.state === "running" && s.statuses()[0]?.pid !== first, 5_000);
    expect(alive(first)).toBe(false);
    await s.stop("server");
  });

  it("kills a child that ignores SIGTERM after its grace period, and at once on killAll", async () => {
    const { s } = supervisor();
    // Ready once its SIGTERM handler is installed (it says so on stdout).
    const stubborn = `process.on("SIGTERM", () => {}); console.log("ready"); ${FOREVER}`;
    const saysReady = (child: ChildProcess) => new Promise<void>((resolve) => child.stdout?.once("data", () => resolve()));
    const spawnPiped = () => spawn(process.execPath, ["-e", stubborn], { detached: true, stdio: ["ignore", "pipe", "ignore"] });
    await s.start(nodeChild("stubborn", stubborn, { stopGraceMs: 300, spawn: spawnPiped, ready: saysReady }));
    await s.start(nodeChild("other", stubborn, { stopGraceMs: 60_000, spawn: spawnPiped, ready: saysReady }));
    const [a, b] = s.statuses().map((c) => c.pid as number);
    const t0 = Date.now();
    await s.stop("stubborn");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(alive(a as number)).toBe(false);
    s.killAll();
    await until("killed", () => !alive(b as number), 2_000);
    expect(s.statuses().find((c) => c.name === "other")?.restarts).toBe(0);
  });

  it("fails the launch, without restarting, when a child cannot start", async () => {
    const { s, changes } = supervisor();
    await expect(s.start(nodeChild("broken", "process.exit(1)", { ready: () => sleep(5_000) }))).rejects.toThrow(
      /broken did not start: exited while starting/,
    );
    // Its exit has been handled (start() waited for it) and counted as no crash.
    expect(changes.at(-1)?.[0]?.restarts).toBe(0);
    expect(changes.filter((c) => c[0]?.state === "starting")).toHaveLength(1);
  });
});
