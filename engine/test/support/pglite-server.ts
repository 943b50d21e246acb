import { startPgliteServer } from "../../../scripts/lib/pglite-server.js";

/** An in-memory PGlite served over the Postgres wire protocol, for running the suite on the embedded database. */
export async function startPglite(opts: { dataDir?: string; port?: number } = {}): Promise<{ url: string; stop(): Promise<void> }> {
  return startPgliteServer(opts);
}
