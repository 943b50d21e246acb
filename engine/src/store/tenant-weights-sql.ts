import type pg from "pg";

/** The tenant_weights table (migration 009): the fair scheduler's weights, a row per tenant that is not 1. */

export async function selectTenantWeights(pool: pg.Pool, s: string): Promise<Array<[string, number]>> {
  const { rows } = await pool.query<{ tenant: string; weight: number }>(`SELECT tenant, weight FROM ${s}.tenant_weights`);
  return rows.map((r) => [r.tenant, r.weight]);
}

/**
 * Sets the given weights in one transaction (weight 1 deletes the row: it is the default); with `replace`, every
 * tenant not given goes back to 1.
 */
export async function writeTenantWeights(pool: pg.Pool, s: string, weights: Array<[string, number]>, replace: boolean): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    if (replace) await client.query(`DELETE FROM ${s}.tenant_weights`);
    const set = weights.filter(([, w]) => w !== 1);
    const reset = weights.filter(([, w]) => w === 1).map(([t]) => t);
    if (reset.length) await client.query(`DELETE FROM ${s}.tenant_weights WHERE tenant = ANY($1)`, [reset]);
    if (set.length) {
      await client.query(
        `INSERT INTO ${s}.tenant_weights (tenant, weight) SELECT * FROM unnest($1::text[], $2::int[])
         ON CONFLICT (tenant) DO UPDATE SET weight = excluded.weight`,
        [set.map(([t]) => t), set.map(([, w]) => w)],
      );
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
