/**
 * The fair scheduler's weights by tenant (the value of a function's tenant key): a tenant of weight 2 starts twice as
 * much as a tenant of weight 1 while both wait for the same slots. Kept in memory (read on every scheduling decision)
 * and in the tenant_weights table; unknown tenants weigh 1.
 */
export class TenantWeights {
  private weights = new Map<string, number>();

  weightOf(tenant: string): number {
    return this.weights.get(tenant) ?? 1;
  }

  /** Applies weights (1 removes a tenant's); `replace` forgets every tenant not given. */
  apply(entries: Array<[string, number]>, replace = false): void {
    if (replace) this.weights = new Map();
    for (const [tenant, weight] of entries) {
      if (weight === 1) this.weights.delete(tenant);
      else this.weights.set(tenant, weight);
    }
  }

  entries(): Array<[string, number]> {
    return [...this.weights].sort(([a], [b]) => (a < b ? -1 : 1));
  }
}
