import { join } from "node:path";
import { deploy } from "../db/migrator.js";
import { runningEmbeddedPostgresUrl, startEmbeddedPostgres } from "./embedded-postgres.js";
import { existingStackKeys, runningStackInfo } from "./stack-keys.js";

/**
 * For command-line producers: point the app's modules at the database `npm run dev` uses (DATABASE_URL, or the
 * embedded PostgreSQL it is serving, or the embedded data folder opened here) and at its engine, with that
 * installation's event key (the engine refuses events without it). Returns a stop function for a database opened
 * here. Call before importing the app's modules.
 */
export async function connectAppDatabase(): Promise<() => Promise<void>> {
  const dataDir = process.env.JOBDECK_DATA_DIR || join(".data", "pglite");
  let stop = async () => {};
  let url = process.env.DATABASE_URL || runningEmbeddedPostgresUrl(dataDir);
  if (!url) {
    const embedded = await startEmbeddedPostgres({ dataDir });
    stop = () => embedded.stop();
    url = embedded.url;
    await deploy(url);
  }
  process.env.DATABASE_URL = url;
  // The engine of the stack running on this data folder (it says where in <data dir>.stack.json), else ENGINE_PORT.
  process.env.INNGEST_DEV ||= runningStackInfo(dataDir)?.engineUrl ?? `http://127.0.0.1:${process.env.ENGINE_PORT || 8288}`;
  const keys = existingStackKeys(dataDir);
  if (keys) {
    process.env.INNGEST_EVENT_KEY ||= keys.eventKey;
    process.env.INNGEST_SIGNING_KEY ||= keys.signingKey;
  }
  return stop;
}
