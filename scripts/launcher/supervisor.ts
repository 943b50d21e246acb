/**
 * The launcher's children (the embedded database server, Next.js) under supervision, the way a process manager
 * keeps them: a child that dies when nobody asked it to is restarted with backoff and logged; one that keeps dying
 * (`maxCrashes` within `crashWindowMs`) stops the whole stack with the reason; a stop always ends with every
 * child gone, asked politely first (SIGTERM to its process group) and forced (SIGKILL) after its grace period.
 *
 * Each child runs in a process group of its own (spawned `detached`), so a stop reaches the processes it started
 * too (`next dev` runs the server in a second process) and a forced stop leaves nothing behind. Death is noticed
 * two ways: the child's `exit` event, and for a child whose real work happens in a grandchild (`next dev` keeps
 * idling when its server process is killed) an optional liveness probe.
 */
import type { ChildProcess } from "node:child_process";

export interface ChildSpec {
  name: string;
  /** Starts the child; it must be spawned with `detached: true` (its own process group). */
  spawn(): ChildProcess;
  /** Resolves when the child serves; rejects (or `startTimeoutMs` passes) when it cannot. */
  ready(child: ChildProcess): Promise<void>;
  /** After ready: false means the child no longer serves although its process lives (restart it). */
  alive?(): Promise<boolean>;
  /** Consecutive failed probes before the child counts as dead. */
  deadAfterProbes?: number;
  startTimeoutMs: number;
  /** How long a stop waits after SIGTERM before SIGKILL. */
  stopGraceMs: number;
}

/** "failed": it died too often; the stack is stopping because of it. */
export type ChildState = "starting" | "running" | "restarting" | "stopping" | "stopped" | "failed";

export interface ChildStatus {
  name: string;
  pid: number | null;
  state: ChildState;
  /** Unexpected deaths since the stack started (each one was followed by a restart, or by the stack stopping). */
  restarts: number;
  startedAt: string | null;
  lastExit: { at: string; code: number | null; signal: string | null; reason: string } | null;
}

export interface SupervisorOptions {
  /** This many unexpected deaths of one child within `crashWindowMs` stop the stack. */
  maxCrashes: number;
  crashWindowMs: number;
  /** First restart delay; doubles with each crash in the window, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  probeIntervalMs: number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Called on every state change (the launcher writes it where /api/health reads it). */
  onChange(children: ChildStatus[]): void;
  /** Called once when a child crashes too often: the launcher stops everything and exits non-zero. */
  onFatal(reason: string): void;
}

export const DEFAULT_SUPERVISION = { maxCrashes: 5, crashWindowMs: 60_000, backoffMs: 500, maxBackoffMs: 8_000, probeIntervalMs: 1_000 };

/** Signals a child's whole process group; a group that is already gone is fine. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // gone
    }
  }
}

/** Whether the child has exited (by code or by signal: after a signal `exitCode` stays null). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function exited(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

class Supervised {
  child: ChildProcess | undefined;
  status: ChildStatus;
  crashes: number[] = [];
  /** Bumped on every (re)start: a late exit or probe of an earlier incarnation changes nothing. */
  generation = 0;
  stopping = false;
  /** Whether it ever served: a first start that fails is the launch failing (start() throws), not a crash. */
  everRan = false;
  /** Why the probe killed it, so the exit is reported as that rather than as "killed by SIGKILL". */
  probeVerdict: string | undefined;

  constructor(readonly spec: ChildSpec) {
    this.status = { name: spec.name, pid: null, state: "starting", restarts: 0, startedAt: null, lastExit: null };
  }
}

export class Supervisor {
  private readonly children = new Map<string, Supervised>();
  private fatal = false;

  constructor(private readonly opts: SupervisorOptions) {}

  statuses(): ChildStatus[] {
    return [...this.children.values()].map((c) => ({ ...c.status }));
  }

  /** Starts a child and resolves once it serves (the first start fails the launch if the child cannot start). */
  async start(spec: ChildSpec): Promise<void> {
    const entry = new Supervised(spec);
    this.children.set(spec.name, entry);
    try {
      await this.launch(entry);
    } catch (err) {
      entry.stopping = true;
      throw err;
    }
  }

  private changed(): void {
    this.opts.onChange(this.statuses());
  }

  private async launch(entry: Supervised): Promise<void> {
    const generation = ++entry.generation;
    const child = entry.spec.spawn();
    entry.child = child;
    entry.status = { ...entry.status, pid: child.pid ?? null, state: "starting", startedAt: new Date().toISOString() };
    this.changed();
    child.once("exit", (code, signal) => void this.onExit(entry, generation, code, signal));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        entry.spec.ready(child),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`not ready within ${entry.spec.startTimeoutMs / 1000} s`)), entry.spec.startTimeoutMs);
        }),
        exited(child).then(() => {
          throw new Error(`exited while starting (${child.exitCode ?? child.signalCode})`);
        }),
      ]);
    } catch (err) {
      signalGroup(child, "SIGKILL");
      throw new Error(`${entry.spec.name} did not start: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    if (generation !== entry.generation || entry.stopping) return;
    entry.everRan = true;
    entry.status = { ...entry.status, state: "running" };
    this.changed();
    if (entry.spec.alive) void this.probe(entry, generation);
  }

  /** Polls the liveness probe; enough failures in a row kill the child's group, which its exit handler restarts. */
  private async probe(entry: Supervised, generation: number): Promise<void> {
    let failures = 0;
    const limit = entry.spec.deadAfterProbes ?? 3;
    while (generation === entry.generation && !entry.stopping && !this.fatal) {
      await delay(this.opts.probeIntervalMs);
      if (generation !== entry.generation || entry.stopping || !entry.child || hasExited(entry.child)) return;
      failures = (await entry.spec.alive?.().catch(() => false)) ? 0 : failures + 1;
      if (failures >= limit) {
        this.opts.log.warn({ child: entry.spec.name, pid: entry.child.pid }, `${entry.spec.name} stopped serving; restarting it`);
        entry.probeVerdict = `stopped serving (${limit} failed probes in a row)`;
        signalGroup(entry.child, "SIGKILL");
        return;
      }
    }
  }

  private async onExit(entry: Supervised, generation: number, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (generation !== entry.generation || !entry.everRan) return;
    const reason = entry.probeVerdict ?? (signal ? `killed by ${signal}` : `exited with code ${code}`);
    entry.probeVerdict = undefined;
    entry.status = {
      ...entry.status,
      pid: null,
      lastExit: { at: new Date().toISOString(), code, signal, reason },
      state: entry.stopping ? "stopped" : "restarting",
    };
    // Whatever is left of its group (a `next dev` server process) goes with it.
    if (entry.child) signalGroup(entry.child, "SIGKILL");
    if (entry.stopping || this.fatal) return this.changed();
    const now = Date.now();
    entry.crashes = [...entry.crashes.filter((t) => now - t < this.opts.crashWindowMs), now];
    entry.status.restarts++;
    if (entry.crashes.length >= this.opts.maxCrashes) {
      this.fatal = true;
      entry.status.state = "failed";
      this.changed();
      const why = `${entry.spec.name} died ${entry.crashes.length} times within ${this.opts.crashWindowMs / 1000} s (last: ${reason})`;
      this.opts.log.error({ child: entry.spec.name }, why);
      this.opts.onFatal(why);
      return;
    }
    this.changed();
    const wait = Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** (entry.crashes.length - 1));
    this.opts.log.warn({ child: entry.spec.name, reason, restartInMs: wait }, `${entry.spec.name} ${reason}; restarting it`);
    await delay(wait);
    if (entry.stopping || this.fatal || generation !== entry.generation) return;
    await this.launch(entry).catch((err) => {
      // A restart that cannot start counts as another crash: its exit handler (or this one) decides what next.
      this.opts.log.error({ err, child: entry.spec.name }, `${entry.spec.name} restart failed`);
      if (entry.child && !hasExited(entry.child)) signalGroup(entry.child, "SIGKILL");
    });
  }

  /** Stops one child: SIGTERM to its group, SIGKILL after the grace period; resolves when its process is gone. */
  async stop(name: string): Promise<void> {
    const entry = this.children.get(name);
    if (!entry) return;
    entry.stopping = true;
    entry.generation++;
    const child = entry.child;
    if (!child || hasExited(child)) {
      entry.status = { ...entry.status, state: "stopped", pid: null };
      return this.changed();
    }
    entry.status = { ...entry.status, state: "stopping" };
    this.changed();
    signalGroup(child, "SIGTERM");
    const timer = setTimeout(() => signalGroup(child, "SIGKILL"), entry.spec.stopGraceMs);
    await exited(child);
    clearTimeout(timer);
    signalGroup(child, "SIGKILL");
    entry.status = { ...entry.status, state: "stopped", pid: null };
    this.changed();
  }

  /** The second Ctrl-C: every child's group killed at once, no waiting. */
  killAll(): void {
    for (const entry of this.children.values()) {
      entry.stopping = true;
      if (entry.child) signalGroup(entry.child, "SIGKILL");
    }
  }
}
