import type pg from "pg";

/**
 * The statements that keep one active engine per schema (leadership.ts): a session advisory lock, which lives and
 * dies with the connection that takes it, and the lease row (`<schema>.leader`, id 1).
 */

/** Takes the advisory lock for `key` on this connection if it is free. */
export async function tryAdvisoryLock(client: pg.PoolClient, key: string): Promise<boolean> {
  const { rows } = await client.query("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [key]);
  return Boolean(rows[0]?.ok);
}

export async function advisoryUnlock(client: pg.PoolClient, key: string): Promise<void> {
  await client.query("SELECT pg_advisory_unlock(hashtext($1))", [key]);
}

/** Lets go of every advisory lock this connection holds. */
export async function advisoryUnlockAll(client: pg.PoolClient): Promise<void> {
  await client.query("SELECT pg_advisory_unlock_all()");
}

export interface Lease {
  holder: string;
  pid: number;
  host: string;
  heartbeat_at: string | number;
}

export async function selectLease(client: pg.PoolClient, s: string): Promise<Lease | undefined> {
  const { rows } = await client.query(`SELECT holder, pid, host, heartbeat_at FROM ${s}.leader WHERE id = 1`);
  return rows[0];
}

/**
 * Claims the lease for `holder`: written when there is none, when it is already this holder's, or when it still
 * carries the heartbeat `seenHeartbeat` the caller judged stale (so two claimants cannot both win). True if claimed.
 */
export async function claimLease(
  client: pg.PoolClient,
  s: string,
  claim: { holder: string; pid: number; host: string; now: number; seenHeartbeat: number },
): Promise<boolean> {
  const res = await client.query(
    `INSERT INTO ${s}.leader (id, holder, pid, host, heartbeat_at) VALUES (1, $1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, pid = EXCLUDED.pid, host = EXCLUDED.host, heartbeat_at = EXCLUDED.heartbeat_at
       WHERE ${s}.leader.holder = $1 OR ${s}.leader.heartbeat_at = $5`,
    [claim.holder, claim.pid, claim.host, claim.now, claim.seenHeartbeat],
  );
  return (res.rowCount ?? 0) > 0;
}

/** Moves the heartbeat on; false when the lease is no longer `holder`'s. */
export async function renewLease(pool: pg.Pool, s: string, holder: string, now: number): Promise<boolean> {
  const res = await pool.query(`UPDATE ${s}.leader SET heartbeat_at = $2 WHERE id = 1 AND holder = $1`, [holder, now]);
  return res.rowCount !== 0;
}

export async function releaseLease(pool: pg.Pool, s: string, holder: string): Promise<void> {
  await pool.query(`DELETE FROM ${s}.leader WHERE id = 1 AND holder = $1`, [holder]);
}
