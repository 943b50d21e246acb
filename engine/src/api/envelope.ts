/** Shapes the `/v1` API shares with Inngest's REST API (pkg/api/apiv1/apiv1.go at 253303c). */

/** Inngest's WriteResponse / WriteCachedResponse: `{data, metadata: {fetched_at, cached_until}}`. */
export function inngestEnvelope<T>(data: T, now: number, cacheMs = 0) {
  return {
    data,
    metadata: { fetched_at: new Date(now).toISOString(), cached_until: cacheMs > 0 ? new Date(now + cacheMs).toISOString() : null },
  };
}

/** A schema's first complaint about a request body, as "<field>: <message>" (`where` when it is about the whole). */
export function firstIssue(error: { issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }> }, where = "body"): string {
  const i = error.issues[0];
  return `${i?.path.map(String).join(".") || where}: ${i?.message}`;
}
