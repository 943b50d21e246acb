import { hostname } from "node:os";
import type pg from "pg";
import type { EngineContext } from "./context.js";
import {
  advisoryUnlock,
  advisoryUnlockAll,
  claimLease,
  releaseLease,
  renewLease,
  selectLease,
  tryAdvisoryLock,
} from "./store/lease-sql.js";
import { ulid } from "./util/ulid.js";

/**
 * One active engine per database schema: a session advisory lock (exclusive on real PostgreSQL) plus a lease row
 * (PGlite serves every connection from one backend, where advisory locks cannot exclude). Another engine waits on
 * standby until the active one stops or dies; an engine that loses its lease exits rather than run beside another.
 */
export class Leadership {
  constructor(private readonly ctx: EngineContext) {}

  private leaderClient: pg.PoolClient | undefined;
  private leaderTimer: NodeJS.Timeout | undefined;
  readonly instanceId = ulid();
  isLeader = false;
  // Lease times are wall-clock times shared between processes, not the engine's (possibly simulated) clock.

  /** Waits on standby until this engine holds the lock and the lease (false if it stopped meanwhile). */
  async acquire(isStopping: () => boolean): Promise<boolean> {
    // Per schema: engines on other schemas of the same database are independent and must not wait on each other.
    const lockKey = `jobdeck-engine:${this.ctx.s}`;
    let announced = false;
    while (!isStopping()) {
      const client = await this.ctx.pool.connect();
      let ok = false;
      try {
        if (await tryAdvisoryLock(client, lockKey)) ok = await this.takeLease(client);
        if (ok) {
          this.holdLeaderConnection(client, lockKey);
          this.isLeader = true;
          this.leaderTimer = setInterval(() => void this.renewLease(), Math.max(500, this.ctx.opts.leaseTtlMs / 3));
          this.leaderTimer.unref();
          return true;
        }
        await advisoryUnlock(client, lockKey).catch(() => {});
      } finally {
        if (!ok) client.release();
      }
      if (!announced) {
        this.ctx.log.info("another engine is active on this database; waiting on standby");
        announced = true;
      }
      await new Promise((r) => setTimeout(r, this.ctx.opts.standbyPollMs));
    }
    return false;
  }

  /**
   * The advisory lock lives on this one connection. If the database drops it (a restart, a network blip), the lock
   * is gone with it: take it again on a new connection as soon as the database answers, and only if the lease is
   * still this engine's; if another engine took over meanwhile, exit so that only one engine runs.
   */
  private holdLeaderConnection(client: pg.PoolClient, lockKey: string): void {
    this.leaderClient = client;
    client.on("error", (err) => {
      if (this.leaderClient !== client || !this.isLeader) return;
      this.ctx.log.warn({ err }, "lost the connection that holds the engine lock; taking it again when the database answers");
      this.leaderClient = undefined;
      client.release(err);
      void this.retakeLeadership(lockKey);
    });
  }

  private async retakeLeadership(lockKey: string): Promise<void> {
    for (let delay = 250; this.isLeader; delay = Math.min(delay * 2, 2000)) {
      await new Promise((r) => setTimeout(r, delay));
      let client: pg.PoolClient;
      try {
        client = await this.ctx.pool.connect();
      } catch {
        continue; // still away
      }
      try {
        const locked = await tryAdvisoryLock(client, lockKey);
        const lease = await selectLease(client, this.ctx.s);
        const ours = !lease || lease.holder === this.instanceId;
        if (!locked || !ours) {
          client.release();
          this.ctx.log.fatal("another engine took over while the database was away; exiting so that only one engine runs");
          process.exit(3);
        }
        await this.takeLease(client);
        this.holdLeaderConnection(client, lockKey);
        this.ctx.log.info("engine lock taken again; carrying on");
        return;
      } catch (err) {
        client.release(err as Error);
      }
    }
  }

  private async takeLease(client: pg.PoolClient): Promise<boolean> {
    const now = Date.now(); // wall clock: the lease is judged by other processes, on their clocks
    const cur = await selectLease(client, this.ctx.s);
    if (cur && cur.holder !== this.instanceId) {
      const fresh = now - Number(cur.heartbeat_at) < this.ctx.opts.leaseTtlMs;
      const deadHere = cur.host === hostname() && !pidAlive(cur.pid);
      if (fresh && !deadHere) return false;
    }
    return claimLease(client, this.ctx.s, {
      holder: this.instanceId,
      pid: process.pid,
      host: hostname(),
      now,
      seenHeartbeat: cur ? Number(cur.heartbeat_at) : 0,
    });
  }

  private async renewLease(): Promise<void> {
    try {
      // Wall clock, as in takeLease: a standby on another process reads this heartbeat.
      if (!(await renewLease(this.ctx.pool, this.ctx.s, this.instanceId, Date.now()))) {
        this.ctx.log.fatal("lost the engine lease to another instance; exiting so that only one engine runs");
        process.exit(3);
      }
    } catch (err) {
      this.ctx.log.warn({ err }, "could not renew the engine lease");
    }
  }

  async release(): Promise<void> {
    if (this.leaderTimer) clearInterval(this.leaderTimer);
    if (!this.isLeader) return;
    this.isLeader = false;
    try {
      await releaseLease(this.ctx.pool, this.ctx.s, this.instanceId);
      if (this.leaderClient) await advisoryUnlockAll(this.leaderClient);
    } catch {
      // the database may already be gone at shutdown
    }
    this.leaderClient?.release();
    this.leaderClient = undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
