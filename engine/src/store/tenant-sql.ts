/**
 * One tenant's rows, as a condition on the `tenant` column (events and runs, migration 010) that the page's
 * ORDER BY tenant, <id> DESC can only be served by that tenant's index.
 *
 * Why not `tenant = $n`: PostgreSQL then drops the fixed tenant from the order and, believing a big tenant's rows
 * evenly spread, walks the primary key backwards until it has a page. When another tenant sent the newest hundred
 * thousand events, that walk reads every one of them. The same single value spelled as a range keeps the tenant in
 * the order, so the page is that tenant's index range read until full, and its estimate still comes from the column's
 * statistics (the two bounds of a common tenant are its own frequency).
 */
export function tenantIs(param: number): string {
  return `tenant >= $${param} AND tenant <= $${param}`;
}
