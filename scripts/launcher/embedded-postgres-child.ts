/**
 * The embedded PostgreSQL as a process of its own, started and supervised by the launcher (scripts/dev.ts): if it
 * dies (a crash, the OOM killer, kill -9) the launcher starts it again on the same port and data folder, and
 * PostgreSQL's own crash recovery replays its write-ahead log. Argument: a JSON object { dataDir, port }. Tells the
 * launcher `{ ready: true, port, url }` over the IPC channel once it accepts connections; stops cleanly on SIGTERM.
 */
import { startEmbeddedPostgres } from "../lib/embedded-postgres.js";

const { dataDir, port } = JSON.parse(process.argv[2] ?? "{}") as { dataDir: string; port?: number };
const server = await startEmbeddedPostgres({ dataDir, port });
process.send?.({ ready: true, port: server.port, url: server.url });

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// Orphaned (the launcher died without stopping it): stop cleanly rather than keep the data folder and the port.
process.on("disconnect", stop);
