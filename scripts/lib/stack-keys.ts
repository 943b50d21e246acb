/**
 * The secrets of one local installation, made on its first start and kept beside its data folder
 * (`<data dir>.keys.json`, mode 0600, git-ignored with .data/): the launcher gives them to the embedded engine and to
 * the app, so the engine's management and event APIs, its calls to /api/inngest (signed in production) and the
 * app's webhook signatures all need a key nobody else on the machine has.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

export interface StackKeys {
  /** Inngest-style signing key: signs the engine's requests to the app, and is the management API's bearer. */
  signingKey: string;
  /** The event key the app sends events with (`POST /e/<key>`). */
  eventKey: string;
  /** The key organizations' webhook secrets are encrypted under (WEBHOOK_SIGNING_SECRET), unless one is configured. */
  webhookSecret: string;
  /** The bearer token of /api/metrics and the engine's /metrics (METRICS_TOKEN), unless one is configured. */
  metricsToken: string;
}

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

export function stackKeysPath(dataDir: string): string {
  return `${resolve(dataDir)}.keys.json`;
}

/** The keys every version has written (the metrics token came later and is added when missing). */
function valid(k: Partial<StackKeys>): k is Omit<StackKeys, "metricsToken"> & Partial<StackKeys> {
  return (
    typeof k.signingKey === "string" &&
    /^signkey-\w+-[0-9a-f]{64}$/.test(k.signingKey) &&
    typeof k.eventKey === "string" &&
    k.eventKey.length >= 32 &&
    typeof k.webhookSecret === "string" &&
    k.webhookSecret.length >= 32
  );
}

const validToken = (t: unknown): t is string => typeof t === "string" && t.length >= 32;

function write(path: string, keys: StackKeys): StackKeys {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  return keys;
}

/**
 * The keys of the installation whose data lives in `dataDir`, created (once) if there are none yet. A key added by
 * a later version (the metrics token) is added to an existing file, never by replacing the others: the webhook key
 * protects secrets already stored, and the signing key is what the app was given.
 */
export function stackKeys(dataDir: string): StackKeys {
  const path = stackKeysPath(dataDir);
  let stored: Partial<StackKeys> | undefined;
  try {
    stored = JSON.parse(readFileSync(path, "utf8")) as Partial<StackKeys>;
  } catch {
    // none yet (or unreadable): make new ones below
  }
  if (stored && valid(stored)) {
    const { metricsToken } = stored;
    return validToken(metricsToken) ? { ...stored, metricsToken } : write(path, { ...stored, metricsToken: hex(24) });
  }
  return write(path, { signingKey: `signkey-local-${hex(32)}`, eventKey: hex(24), webhookSecret: hex(32), metricsToken: hex(24) });
}

/** The keys if that installation has any (for command-line producers talking to a running stack). */
export function existingStackKeys(dataDir: string): (Omit<StackKeys, "metricsToken"> & Partial<StackKeys>) | undefined {
  try {
    const stored = JSON.parse(readFileSync(stackKeysPath(dataDir), "utf8")) as Partial<StackKeys>;
    return valid(stored) ? stored : undefined;
  } catch {
    return undefined;
  }
}

/** Where a running stack says what it serves (`<data dir>.stack.json`), for producers and the README's curl lines. */
export function stackInfoPath(dataDir: string): string {
  return `${resolve(dataDir)}.stack.json`;
}

export interface StackInfo {
  pid: number;
  appUrl: string;
  engineUrl?: string;
  /** The launcher's supervised children (scripts/launcher/supervisor.ts ChildStatus): state, restarts, last exit. */
  children?: unknown[];
}

export function writeStackInfo(dataDir: string, info: StackInfo): () => void {
  const path = stackInfoPath(dataDir);
  // Written whole and renamed into place: /api/health reads it while the launcher rewrites it.
  writeFileSync(`${path}.tmp`, `${JSON.stringify(info, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return () => rmSync(path, { force: true });
}

/** The running stack of that data folder, if its process is alive. */
export function runningStackInfo(dataDir: string): StackInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(stackInfoPath(dataDir), "utf8")) as StackInfo;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}
